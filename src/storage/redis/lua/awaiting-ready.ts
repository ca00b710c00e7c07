/**
 * ARGV[2] = limit. Walks the awaiting jobs oldest first and returns, for those whose parent is
 * succeeded, deleted or gone: { record, parent state or '', 1/0 has result, result or '' }.
 * The walk is linear in the number of awaiting jobs whose parent is still running, as the
 * reference backend's is.
 */
export const AWAITING_READY = String.raw`
local limit = tonumber(ARGV[2])
local out = {}
local start = 0
while #out < limit do
  local ids = redis.call('ZRANGE', P .. 'state:awaiting', start, start + 199)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    if #out >= limit then break end
    local parentId = redis.call('HGET', jobkey(id), 'parentId')
    local ready, ps, pr = false, nil, nil
    if not parentId then
      ready = true
    else
      local pf = redis.call('HMGET', jobkey(parentId), 'state', 'result')
      if not pf[1] then
        ready = true
      elseif pf[1] == 'succeeded' or pf[1] == 'deleted' then
        ready, ps, pr = true, pf[1], pf[2]
      end
    end
    if ready then
      local r = readRecord(id)
      if r then
        local hasResult = 0
        if pr then hasResult = 1 end
        out[#out + 1] = { r, ps or '', hasResult, pr or '' }
      end
    end
  end
  start = start + 200
end
return out
`;

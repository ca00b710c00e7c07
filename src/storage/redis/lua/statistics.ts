/**
 * ARGV[2..8] = the state names (STATE_NAMES order). Returns { a count per state, succeeded total,
 * failed total, servers, recurring }. Enqueued jobs are counted over the queues' sets (plain and limited).
 */
export const STATISTICS = String.raw`
local out = {}
for i = 2, 8 do
  local s = ARGV[i]
  if s == 'enqueued' then
    local n = 0
    for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
      n = n + redis.call('ZCARD', K_QUEUE[q]) + redis.call('ZCARD', K_LIMITED[q])
    end
    out[#out + 1] = n
  elseif s == 'processing' then
    out[#out + 1] = redis.call('ZCARD', P .. 'processing')
  else
    out[#out + 1] = redis.call('ZCARD', P .. 'state:' .. s)
  end
end
local t = redis.call('HMGET', P .. 'stats', 'succeeded', 'failed')
out[#out + 1] = tonumber(t[1] or '0')
out[#out + 1] = tonumber(t[2] or '0')
out[#out + 1] = redis.call('HLEN', P .. 'servers')
out[#out + 1] = redis.call('SCARD', P .. 'recurring')
return out
`;

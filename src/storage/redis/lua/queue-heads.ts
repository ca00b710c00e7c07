/**
 * Returns { queue, enqueuedAt } for every known queue holding enqueued jobs: the time its head (the
 * lowest score of its plain and limited sets, which fetch considers first) entered `enqueued`, read from the last entry of
 * that one job's history. One job read per queue, however many wait.
 */
export const QUEUE_HEADS = String.raw`
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local head = redis.call('ZRANGE', K_QUEUE[q], 0, 0, 'WITHSCORES')
  local limited = redis.call('ZRANGE', K_LIMITED[q], 0, 0, 'WITHSCORES')
  if #limited > 0 and (#head == 0 or tonumber(limited[2]) < tonumber(head[2])) then head = limited end
  if #head > 0 then
    local hist = redis.call('HGET', jobkey(head[1]), 'hist')
    if hist then
      local entry = cjson.decode(lastEntry(hist))
      out[#out + 1] = { q, entry.at }
    end
  end
end
return out
`;

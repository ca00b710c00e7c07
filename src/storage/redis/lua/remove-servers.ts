/**
 * ARGV[2] = now, [3] = 'ids' then [4..] = server ids, or [3] = 'before' then [4] = a time:
 * removes those servers (or the ones whose last heartbeat is older than the time) and requeues
 * the processing jobs they held. Returns the removed ids.
 */
export const REMOVE_SERVERS = String.raw`
local now = ARGV[2]
local ids
if ARGV[3] == 'before' then
  ids = redis.call('ZRANGEBYSCORE', P .. 'heartbeats', '-inf', '(' .. ARGV[4])
else
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local gone = {}
local any = false
for _, id in ipairs(ids) do
  redis.call('HDEL', P .. 'servers', id)
  redis.call('ZREM', P .. 'heartbeats', id)
  gone[id] = true
  any = true
end
if any then
  for _, jid in ipairs(redis.call('ZRANGE', P .. 'processing', 0, -1)) do
    local sv = redis.call('HGET', jobkey(jid), 'serverId')
    if sv and gone[sv] then
      requeue(jid, 'processing', 'Server ' .. sv .. ' stopped or timed out', now, true)
    end
  end
end
flush()
return ids
`;

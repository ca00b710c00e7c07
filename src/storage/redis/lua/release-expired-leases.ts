/** ARGV[2] = now, [3] = limit. Processing jobs whose lease ended before now. Returns how many. */
export const RELEASE_EXPIRED_LEASES = String.raw`
local now = ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_PROCESSING, '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local serverId = redis.call('HGET', jobkey(id), 'serverId')
  if requeue(id, 'processing', 'Lease of server ' .. tostring(serverId) .. ' expired', now, true) then
    n = n + 1
  else
    redis.call('ZREM', K_PROCESSING, id)
  end
end
flush()
return n
`;

/** ARGV[2] = serverId, [3] = leaseUntil, [4..] = ids. Returns the ids the server no longer holds. */
export const RENEW_LEASES = String.raw`
local serverId, leaseUntil = ARGV[2], ARGV[3]
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local key = jobkey(id)
  local f = redis.call('HMGET', key, 'state', 'serverId')
  if f[1] == 'processing' and f[2] == serverId then
    redis.call('HSET', key, 'leaseUntil', leaseUntil)
    zadd(K_PROCESSING, leaseUntil, id)
  else
    lost[#lost + 1] = id
  end
end
flush()
return lost
`;

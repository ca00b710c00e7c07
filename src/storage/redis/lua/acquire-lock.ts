/**
 * ARGV[2] = resource, [3] = owner, [4] = until, [5] = now, [6] = forget-before time.
 * Locks live in a hash (owner) and a sorted set (until), compared with the caller's `now`: no
 * Redis TTL is involved, so the engine's clock (or a test's fake one) is the only clock. Locks
 * that ended long before `now` (see the client's LOCK_GARBAGE_MS) are forgotten a few at a time,
 * which is invisible: an ended lock behaves exactly as no lock.
 */
export const ACQUIRE_LOCK = String.raw`
local res, owner = ARGV[2], ARGV[3]
local holder = redis.call('HGET', P .. 'locks', res)
if holder and holder ~= owner then
  local u = redis.call('ZSCORE', P .. 'locks:until', res)
  if u and tonumber(u) > tonumber(ARGV[5]) then return 0 end
end
for _, r in ipairs(redis.call('ZRANGEBYSCORE', P .. 'locks:until', '-inf', '(' .. ARGV[6], 'LIMIT', 0, 10)) do
  redis.call('HDEL', P .. 'locks', r)
  redis.call('ZREM', P .. 'locks:until', r)
end
redis.call('HSET', P .. 'locks', res, owner)
redis.call('ZADD', P .. 'locks:until', ARGV[4], res)
return 1
`;

/** Lua bodies for servers and locks. */

/** ARGV[2] = id, [3] = JSON record without heartbeatAt, [4] = heartbeatAt. */
export const ANNOUNCE_SERVER = String.raw`
redis.call('HSET', P .. 'servers', ARGV[2], ARGV[3])
redis.call('ZADD', P .. 'heartbeats', ARGV[4], ARGV[2])
return 1
`;

/** ARGV[2] = id, [3] = now. Returns 0 when the server record is gone. */
export const HEARTBEAT = String.raw`
if redis.call('HEXISTS', P .. 'servers', ARGV[2]) == 0 then return 0 end
redis.call('ZADD', P .. 'heartbeats', ARGV[3], ARGV[2])
return 1
`;

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
      requeue(jid, 'processing', 'Server ' .. sv .. ' stopped or timed out', now)
    end
  end
end
flush()
return ids
`;

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

/** ARGV[2] = resource, [3] = owner. Releases only the owner's lock. */
export const RELEASE_LOCK = String.raw`
if redis.call('HGET', P .. 'locks', ARGV[2]) == ARGV[3] then
  redis.call('HDEL', P .. 'locks', ARGV[2])
  redis.call('ZREM', P .. 'locks:until', ARGV[2])
end
return 1
`;

/** Returns { JSON record, heartbeatAt } of every server (the client sorts). */
export const LIST_SERVERS = String.raw`
local out = {}
local all = redis.call('HGETALL', P .. 'servers')
for i = 1, #all, 2 do
  out[#out + 1] = { all[i + 1], redis.call('ZSCORE', P .. 'heartbeats', all[i]) or '0' }
end
return out
`;

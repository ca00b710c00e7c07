/**
 * ARGV[2] = now, [3] = limit. Deletes jobs whose expireAt <= now, the earliest batches of the
 * expiry log first. Returns how many.
 *
 * A due batch is read whole: entries that no longer match their job's expireAt (changed,
 * cleared, job gone) are dropped, due ones deleted, later ones moved to a new batch due at their
 * earliest. When the limit is reached in a batch, its unread rest stays in it, still due.
 */
export const DELETE_EXPIRED = String.raw`
local now, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local n = 0
while n < limit do
  local due = redis.call('ZRANGEBYSCORE', K_EXPIRE, '-inf', now, 'LIMIT', 0, 1)
  if #due == 0 then break end
  local batch = due[1]
  local log = P .. 'expire:' .. batch
  local entries = redis.call('LRANGE', log, 0, -1)
  local read = 0
  for i = 1, #entries, 2 do
    if n >= limit then break end
    local id, expireAt = entries[i], entries[i + 1]
    local key = jobkey(id)
    local f = redis.call('HMGET', key, 'state', 'queue', 'parentId', 'uniqueKey', 'expireAt', 'logs')
    if f[5] == expireAt then
      if tonumber(expireAt) <= now then
        unindex(id, f[1], f[2])
        if f[3] then redis.call('ZREM', P .. 'children:' .. f[3], id) end
        if f[4] then redis.call('SREM', P .. 'uk:' .. f[4], id) end
        if f[6] then redis.call('DEL', P .. 'log:' .. id) end
        redis.call('DEL', key)
        n = n + 1
      else
        expires(id, expireAt)
        local at = tonumber(expireAt)
        if not expiringFrom or at < expiringFrom then expiringFrom = at end
      end
    end
    read = i + 1
  end
  if read >= #entries then
    redis.call('DEL', log)
    redis.call('ZREM', K_EXPIRE, batch)
  else
    redis.call('LTRIM', log, read, -1)
  end
  logExpiries()
end
flush()
return n
`;

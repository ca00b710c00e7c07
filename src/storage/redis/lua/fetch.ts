/**
 * ARGV[2] = max, [3] = serverId, [4] = leaseUntil, [5] = the processing history entry (JSON),
 * [6..] = queues in priority order. Pops the lowest sequence numbers of each queue in turn.
 *
 * Returns the claimed jobs as one JSON text, an array of
 * `[j, queue index (1 = ARGV[6]), attempt, runAt, expireAt, params, result]` (absent values as
 * null): the stored JSON texts are pasted in as they are, so no value is decoded or re-encoded
 * here, and the client knows the rest of a claimed job's record (its new state) already.
 */
export const FETCH = String.raw`
local max = tonumber(ARGV[2])
local serverId, leaseUntil, entry = ARGV[3], ARGV[4], ARGV[5]
-- The reply's pieces, joined once at the end: no string is made per job.
local out = { '[' }
local o = 1
local n = 0
local fetchedAt = nil
for qi = 6, #ARGV do
  local need = max - n
  if need <= 0 then break end
  local queue = ARGV[qi]
  local tail = ',' .. (qi - 5) .. ','
  -- The lowest members without their scores (ZPOPMIN formats every score as a double).
  local qkey = K_QUEUE[queue]
  local popped = redis.call('ZRANGE', qkey, 0, need - 1)
  if #popped > 0 then redis.call('ZREMRANGEBYRANK', qkey, 0, #popped - 1) end
  for i = 1, #popped do
    local id = popped[i]
    local key = jobkey(id)
    local f = redis.call('HMGET', key, 'state', 'j', 'attempt', 'runAt', 'expireAt', 'params', 'result', 'hist')
    if f[1] == 'enqueued' then
      redis.call('HSET', key, 'state', 'processing', 'serverId', serverId, 'leaseUntil', leaseUntil,
        'hist', appendHistory(f[8], entry))
      index(id, 'processing', queue, nil, nil, leaseUntil)
      if hears() then
        fetchedAt = fetchedAt or jnum(decoded(entry).at)
        startedEvent(id, redis.call('HGET', key, 'name'), queue, f[3], serverId, fetchedAt)
      end
      local runAt, expireAt, result = f[4], f[5], 'null'
      if not runAt or runAt == '' then runAt = 'null' end
      if not expireAt or expireAt == '' then expireAt = 'null' end
      if f[7] then result = cjson.encode(f[7]) end
      if n > 0 then out[o + 1] = '],['; else out[o + 1] = '[' end
      out[o + 2] = f[2]; out[o + 3] = tail; out[o + 4] = f[3]; out[o + 5] = ','; out[o + 6] = runAt
      out[o + 7] = ','; out[o + 8] = expireAt; out[o + 9] = ','; out[o + 10] = f[6] or 'null'
      out[o + 11] = ','; out[o + 12] = result
      o = o + 12
      n = n + 1
    end
  end
end
flush()
if n == 0 then return '[]' end
out[o + 1] = ']]'
return table.concat(out)
`;

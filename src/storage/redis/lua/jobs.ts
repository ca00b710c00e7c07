/**
 * Lua bodies of the job operations that write: the hot path (create, fetch, transition, renew)
 * and the maintenance sweeps. Each runs after `LIBRARY` (see `library.ts` for the calling
 * convention: `KEYS[1]` prefix, `ARGV[1]` channel, own arguments from `ARGV[2]`).
 */

/** ARGV[2] = JSON array of encoded jobs, ARGV[3] = now. Returns per job '' (created) or the holder's id. */
export const CREATE_JOBS = String.raw`
local out = createJobs(cjson.decode(ARGV[2]), ARGV[3])
if out.err then return out end
flush()
return out
`;

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

/**
 * ARGV[2] = now, [3] = when the call's expiries are due ('' if none), then runs of changes
 * (transition-arguments.ts): a run is a header of 6 arguments, what its changes share: their
 * number, the expected states joined by ',', '=' .. expected server or '', the target state, the
 * hourly counters to raise joined by ',', and '' or a JSON object of the options a completion
 * does not use (q: queue, ra: runAt, att: attempt, p: parameters as an object of JSON texts);
 * then 4 arguments per change: id, the new history entries (JSON joined by newlines), expireAt
 * or '', '=' .. result or ''. A batch of completions is one run: each argument costs Redis
 * about as much to receive as a field costs to read, and a JSON document cost more to decode
 * than the rest of a completion. Returns 1 / 0 per change: applied or not.
 */
export const TRANSITION = String.raw`
expiringFrom = ARGV[3]
local out = {}
local n = 0
local b = 4
while b <= #ARGV do
  local size, expect, sv, to, counts, options = tonumber(ARGV[b]), ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
  b = b + 6
  local server = sv ~= '' and string.sub(sv, 2)
  local expected = ',' .. expect .. ','
  local severalCounts = string.find(counts, ',', 1, true)
  local runAt, newQueue, attempt, params = '', nil, nil, nil
  if options ~= '' then
    options = cjson.decode(options)
    runAt, newQueue, attempt, params = options.ra or '', options.q, options.att, options.p
  end
  for _ = 1, size do
    local id, history, ex, result = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
    b = b + 4
    local key = jobkey(id)
    local f = redis.call('HMGET', key, 'state', 'serverId', 'queue', 'seq', 'hist')
    local state = f[1]
    local ok = state and (expect == state or string.find(expected, ',' .. state .. ',', 1, true))
    if ok and server and (state ~= 'processing' or f[2] ~= server) then ok = false end
    n = n + 1
    if not ok then
      out[n] = 0
    else
      if severalCounts then
        for field in string.gmatch(counts, '[^,]+') do count(field) end
      elseif counts ~= '' then
        count(counts)
      end
      unindex(id, state, f[3])
      local queue = newQueue or f[3]
      local sets = { 'state', to, 'hist', appendHistory(f[5], history), 'runAt', runAt, 'expireAt', ex }
      -- A job that stays processing keeps its server and lease; any other state has neither.
      local lease = ''
      if to ~= 'processing' then
        sets[9] = 'serverId'; sets[10] = ''
        sets[11] = 'leaseUntil'; sets[12] = ''
      elseif state == 'processing' then
        lease = redis.call('HGET', key, 'leaseUntil') or ''
      end
      if result ~= '' then sets[#sets + 1] = 'result'; sets[#sets + 1] = string.sub(result, 2) end
      if newQueue then sets[#sets + 1] = 'queue'; sets[#sets + 1] = queue end
      if attempt then sets[#sets + 1] = 'attempt'; sets[#sets + 1] = attempt end
      if params then
        sets[#sets + 1] = 'params'
        sets[#sets + 1] = mergeParameters(redis.call('HGET', key, 'params'), params)
      end
      -- A job losing its expiry needs nothing more: its log entry no longer matches its field.
      if ex ~= '' then expires(id, ex) end
      redis.call('HSET', key, unpack(sets))
      index(id, to, queue, f[4], runAt, lease)
      if state == 'processing' and not server then aborted[#aborted + 1] = id end
      out[n] = 1
    end
  end
end
flush()
return out
`;

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

/** ARGV[2] = now, [3] = limit. Scheduled jobs with runAt <= now, earliest first. Returns how many moved. */
export const ENQUEUE_DUE = String.raw`
local now = ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_SCHEDULED, '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  if requeue(id, 'scheduled', 'Scheduled time reached', now) then
    n = n + 1
  else
    redis.call('ZREM', K_SCHEDULED, id)
  end
end
flush()
return n
`;

/** ARGV[2] = now, [3] = limit. Processing jobs whose lease ended before now. Returns how many. */
export const RELEASE_EXPIRED_LEASES = String.raw`
local now = ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_PROCESSING, '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local serverId = redis.call('HGET', jobkey(id), 'serverId')
  if requeue(id, 'processing', 'Lease of server ' .. tostring(serverId) .. ' expired', now) then
    n = n + 1
  else
    redis.call('ZREM', K_PROCESSING, id)
  end
end
flush()
return n
`;

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
    local f = redis.call('HMGET', key, 'state', 'queue', 'parentId', 'uniqueKey', 'expireAt')
    if f[5] == expireAt then
      if tonumber(expireAt) <= now then
        unindex(id, f[1], f[2])
        if f[3] then redis.call('ZREM', P .. 'children:' .. f[3], id) end
        if f[4] then redis.call('SREM', P .. 'uk:' .. f[4], id) end
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

/**
 * ARGV[2] = id, [3] = serverId, [4] = parameters (JSON object of JSON texts). 1 if merged, 0 if
 * the server no longer holds the job.
 */
export const MERGE_PARAMETERS = String.raw`
local key = jobkey(ARGV[2])
local f = redis.call('HMGET', key, 'state', 'serverId', 'params')
if f[1] ~= 'processing' or f[2] ~= ARGV[3] then return 0 end
redis.call('HSET', key, 'params', mergeParameters(f[3], cjson.decode(ARGV[4])))
return 1
`;

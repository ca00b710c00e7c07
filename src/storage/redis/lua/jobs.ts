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
 * ARGV[2] = max, [3] = serverId, [4] = leaseUntil, [5] = now, [6] = the processing history
 * entry (JSON), [7] = the processing state data (JSON), [8..] = queues in priority order.
 * Pops the lowest sequence numbers of each queue in turn. Returns the claimed job records, as
 * one JSON text: an array of flat field/value arrays.
 */
export const FETCH = String.raw`
local max = tonumber(ARGV[2])
local serverId, leaseUntil, now, entry, data = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local out = {}
for qi = 8, #ARGV do
  local need = max - #out
  if need <= 0 then break end
  local queue = ARGV[qi]
  local popped = redis.call('ZPOPMIN', P .. 'q:' .. queue, need)
  for i = 1, #popped, 2 do
    local id = popped[i]
    local key = jobkey(id)
    -- The record goes back as the raw HGETALL with the changed fields appended (the client
    -- keeps the last value of a field) and the history blanked: no table rebuilt per job.
    local flat = redis.call('HGETALL', key)
    local state, hist
    for k = 1, #flat, 2 do
      local f = flat[k]
      if f == 'state' then
        state = flat[k + 1]
      elseif f == 'hist' then
        hist = flat[k + 1]
        flat[k + 1] = ''
      end
    end
    if state == 'enqueued' then
      redis.call('HSET', key, 'state', 'processing', 'reason', '', 'stateAt', now, 'data', data,
        'serverId', serverId, 'leaseUntil', leaseUntil, 'hist', appendHistory(hist, { entry }))
      index(id, 'processing', queue, nil, nil, leaseUntil)
      local n = #flat
      flat[n + 1] = 'id'; flat[n + 2] = id
      flat[n + 3] = 'state'; flat[n + 4] = 'processing'
      flat[n + 5] = 'reason'; flat[n + 6] = ''
      flat[n + 7] = 'stateAt'; flat[n + 8] = now
      flat[n + 9] = 'data'; flat[n + 10] = data
      flat[n + 11] = 'serverId'; flat[n + 12] = serverId
      flat[n + 13] = 'leaseUntil'; flat[n + 14] = leaseUntil
      out[#out + 1] = flat
    end
  end
end
flush()
-- One JSON string instead of a multi-bulk reply of ~50 strings per job: far cheaper to build
-- for Redis and to parse for Node. (cjson would encode an empty table as {}.)
if #out == 0 then return '[]' end
return cjson.encode(out)
`;

/**
 * ARGV[2] = JSON array of encoded changes (codec.ts encodeChange), ARGV[3] = now.
 * Returns 1 / 0 per change: applied or not.
 */
export const TRANSITION = String.raw`
local changes = cjson.decode(ARGV[2])
local now = ARGV[3]
local out = {}
for i, c in ipairs(changes) do
  local key = jobkey(c.id)
  local f = redis.call('HMGET', key, 'state', 'serverId', 'queue', 'seq', 'leaseUntil', 'hist', 'expireAt')
  local state = f[1]
  local ok = false
  if state then
    for _, s in ipairs(c.es) do
      if s == state then ok = true; break end
    end
  end
  if ok and c.sv and (state ~= 'processing' or f[2] ~= c.sv) then ok = false end
  if not ok then
    out[i] = 0
  else
    local entries = {}
    if c.pt then
      for _, s in ipairs(c.pt) do
        entries[#entries + 1] = s.j
        count(s.n, s.hb)
      end
    end
    local to = c.to
    entries[#entries + 1] = to.j
    count(to.n, to.hb)
    unindex(c.id, state, f[3])
    local queue = c.q or f[3]
    local runAt = ''
    if to.n == 'scheduled' then runAt = c.ra or now end
    local lease, serverId = '', ''
    if to.n == 'processing' then lease, serverId = f[5] or '', f[2] or '' end
    local sets = { 'state', to.n, 'reason', to.r or '', 'data', to.d or '', 'stateAt', to.at,
      'hist', appendHistory(f[6], entries), 'queue', queue, 'runAt', runAt,
      'serverId', serverId, 'leaseUntil', lease, 'expireAt', c.ex or '' }
    if c.ex then
      zadd(P .. 'expire', c.ex, c.id)
    elseif f[7] and f[7] ~= '' then
      zrem(P .. 'expire', c.id)
    end
    if c.att then sets[#sets + 1] = 'attempt'; sets[#sets + 1] = c.att end
    if c.res then sets[#sets + 1] = 'result'; sets[#sets + 1] = c.res end
    if c.p then
      for _, kv in ipairs(c.p) do sets[#sets + 1] = 'p:' .. kv[1]; sets[#sets + 1] = kv[2] end
    end
    redis.call('HSET', key, unpack(sets))
    index(c.id, to.n, queue, f[4], runAt, lease)
    if state == 'processing' and not c.sv then aborted[#aborted + 1] = c.id end
    out[i] = 1
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
    zadd(P .. 'processing', leaseUntil, id)
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
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'scheduled', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  if requeue(id, 'scheduled', 'Scheduled time reached', now) then
    n = n + 1
  else
    redis.call('ZREM', P .. 'scheduled', id)
  end
end
flush()
return n
`;

/** ARGV[2] = now, [3] = limit. Processing jobs whose lease ended before now. Returns how many. */
export const RELEASE_EXPIRED_LEASES = String.raw`
local now = ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'processing', '-inf', '(' .. now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local serverId = redis.call('HGET', jobkey(id), 'serverId')
  if requeue(id, 'processing', 'Lease of server ' .. tostring(serverId) .. ' expired', now) then
    n = n + 1
  else
    redis.call('ZREM', P .. 'processing', id)
  end
end
flush()
return n
`;

/** ARGV[2] = now, [3] = limit. Deletes jobs whose expireAt <= now, earliest first. Returns how many. */
export const DELETE_EXPIRED = String.raw`
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'expire', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local key = jobkey(id)
  local f = redis.call('HMGET', key, 'state', 'queue', 'parentId', 'uniqueKey')
  zrem(P .. 'expire', id)
  if f[1] then
    unindex(id, f[1], f[2])
    if f[3] then redis.call('ZREM', P .. 'children:' .. f[3], id) end
    if f[4] then redis.call('SREM', P .. 'uk:' .. f[4], id) end
    redis.call('DEL', key)
    n = n + 1
  end
end
flush()
return n
`;

/** ARGV[2] = id, [3] = serverId, [4..] = parameter name, JSON text pairs. 1 if merged, 0 if the server no longer holds the job. */
export const MERGE_PARAMETERS = String.raw`
local key = jobkey(ARGV[2])
local f = redis.call('HMGET', key, 'state', 'serverId')
if f[1] ~= 'processing' or f[2] ~= ARGV[3] then return 0 end
local sets = {}
for i = 4, #ARGV, 2 do
  sets[#sets + 1] = 'p:' .. ARGV[i]
  sets[#sets + 1] = ARGV[i + 1]
end
if #sets > 0 then redis.call('HSET', key, unpack(sets)) end
return 1
`;

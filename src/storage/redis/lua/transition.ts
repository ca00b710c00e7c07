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
      -- Job events need the job's name and attempt as they were (read only while someone listens).
      local named = hears() and redis.call('HMGET', key, 'name', 'attempt')
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
        -- Still processing: it keeps its place among its concurrency key's running jobs.
        local k = kprocLive and redis.call('ZSCORE', K_KPROC, id)
        if k then zadd(K_KPROC, k, id) end
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
      -- Only a scheduled job needs its attempt, for the retries index (completions never read it).
      if to == 'scheduled' then
        index(id, to, queue, f[4], runAt, lease, attempt or redis.call('HGET', key, 'attempt'))
      elseif to == 'enqueued' then
        -- Its place in the queue: its priority, and the limited jobs' set if it carries a key.
        local fl = redis.call('HMGET', key, 'pri', 'ck', 'cl', 'rk', 'rm', 'rp')
        index(id, to, queue, f[4], runAt, lease, nil, fl[1], sigOf(fl[2], fl[3], fl[4], fl[5], fl[6]))
      else
        index(id, to, queue, f[4], runAt, lease)
      end
      if state == 'processing' and not server then aborted[#aborted + 1] = id end
      if named then
        changeEvents(id, named[1], f[3], named[2], history, to, newQueue, attempt, runAt, result ~= '' and string.sub(result, 2) or nil)
      end
      out[n] = 1
    end
  end
end
flush()
return out
`;

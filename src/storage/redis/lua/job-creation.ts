/**
 * Lua for creating jobs, shared by the scripts that create them (`create-jobs.ts`,
 * `advance-recurring.ts`), which put it after the library: unique keys in their three modes
 * (see `UniqueMode` in the contract) and the flow-control fields a job carries (see keys.ts).
 */
export const JOB_CREATION = String.raw`
-- The job holding a unique key for a call in mode ('d' debounce, 't' throttle, nil keep), see
-- UniqueMode: the oldest of the key's jobs that qualifies, and its state. For a debounced call
-- without a holder, also the processing jobs of the key, which give it up.
local function uniqueHolder(uniqueKey, now, mode)
  local best, bestSeq, bestState = nil, nil, nil
  local running = {}
  local t = tonumber(now)
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'uk:' .. uniqueKey)) do
    local f = redis.call('HMGET', jobkey(id), 'state', 'uniqueUntil', 'seq')
    local state, untl = f[1], f[2] and tonumber(f[2])
    local holds = false
    if state and mode == 't' then
      holds = (untl and untl > t) or (not untl and ACTIVE[state])
    elseif state and ACTIVE[state] and ((not untl) or untl > t) then
      holds = mode ~= 'd' or state ~= 'processing'
      if not holds then running[#running + 1] = id end
    end
    if holds then
      local s = tonumber(f[3])
      if bestSeq == nil or s < bestSeq then best, bestSeq, bestState = id, s, state end
    end
  end
  return best, bestState, running
end

-- The flow-control fields of an encoded job (see keys.ts): appended to sets, or their names to
-- dels when the job has none of a kind.
local function flowFields(j, sets, dels)
  local function put(field, value)
    if value then
      sets[#sets + 1] = field
      sets[#sets + 1] = value
    elseif dels then
      dels[#dels + 1] = field
    end
  end
  put('pri', j.pr)
  put('ck', j.ck); put('cl', j.cl)
  put('rk', j.rk); put('rm', j.rm); put('rp', j.rp)
end

-- A stored j text with the args and flow-control members of another: j ends with its args and
-- limits (see codec.ts), after a ',"args":' that no string value can hold (a quote inside one is
-- escaped). A record written before flow control has its createdAt, parentId and uniqueKey
-- after args: those are kept.
local function replaceTail(old, new)
  local a = string.find(old, ',"args":', 1, true)
  local c = string.find(old, ',"createdAt":', a, true)
  local head = string.sub(old, 1, a - 1)
  if c then head = head .. string.sub(old, c, -2) end
  return head .. string.sub(new, (string.find(new, ',"args":', 1, true)))
end

-- A debounced call's replacement of a pending (enqueued or scheduled) holder: the call's args,
-- priority, limits, state and runAt; its id, queue, parameters, attempt and creation stay.
local function replacePending(id, j)
  local key = jobkey(id)
  local f = redis.call('HMGET', key, 'state', 'queue', 'seq', 'hist', 'j', 'attempt')
  unindex(id, f[1], f[2])
  local sets = { 'j', replaceTail(f[5], j.j), 'state', j.s, 'hist', appendHistory(f[4], j.e), 'runAt', j.ra or '' }
  local dels = {}
  flowFields(j, sets, dels)
  redis.call('HSET', key, unpack(sets))
  if #dels > 0 then redis.call('HDEL', key, unpack(dels)) end
  index(id, j.s, f[2], f[3], j.ra, nil, f[6], j.pr, sigOf(j.ck, j.cl, j.rk, j.rm, j.rp))
end

-- Creates jobs (decoded from the JSON the client sent, see codec.ts encodeNewJob). Returns, per
-- job, '' when created or the id of the job holding its unique key. Fails before writing
-- anything if an id exists already, with an error reply whose code is KILN (the client turns
-- those into a KilnError).
--
-- Stored values (see keys.ts): nullable fields are always present, '' meaning null (runAt,
-- serverId, leaseUntil, expireAt), so every state change is a single HSET, never an HSET plus an
-- HDEL; result and params are absent until set, and so are the flow-control fields of a job
-- without priority or limits.
local function createJobs(jobs, now)
  local seen = {}
  for _, j in ipairs(jobs) do
    if seen[j.id] or redis.call('EXISTS', jobkey(j.id)) == 1 then
      return redis.error_reply('KILN job ' .. j.id .. ' already exists')
    end
    seen[j.id] = true
  end
  local out = {}
  local last = redis.call('INCRBY', P .. 'seq', #jobs) - #jobs
  for i, j in ipairs(jobs) do
    local holder, holderState, running = nil, nil, nil
    if j.uk then holder, holderState, running = uniqueHolder(j.uk, now, j.um) end
    if holder then
      if j.um == 'd' and (holderState == 'enqueued' or holderState == 'scheduled') then replacePending(holder, j) end
      out[i] = holder
    else
      -- A job that already started holds no key for a debounced call: it gives the key up for good.
      if running then for _, id in ipairs(running) do redis.call('HSET', jobkey(id), 'uniqueUntil', now) end end
      local seq = last + i
      local f = { 'j', j.j, 'name', j.n, 'queue', j.q, 'state', j.s, 'hist', j.e, 'attempt', '1',
        'seq', seq, 'runAt', j.ra or '', 'serverId', '', 'leaseUntil', '', 'expireAt', '' }
      if j.pid then f[#f + 1] = 'parentId'; f[#f + 1] = j.pid end
      if j.uk then f[#f + 1] = 'uniqueKey'; f[#f + 1] = j.uk end
      if j.uu then f[#f + 1] = 'uniqueUntil'; f[#f + 1] = j.uu end
      if j.ln then f[#f + 1] = 'ln'; f[#f + 1] = j.ln end
      if j.p then f[#f + 1] = 'params'; f[#f + 1] = j.p end
      if j.pr or j.ck or j.rk then flowFields(j, f, nil) end
      redis.call('HSET', jobkey(j.id), unpack(f))
      if j.ck or j.rk then
        index(j.id, j.s, j.q, seq, j.ra, nil, nil, j.pr, sigOf(j.ck, j.cl, j.rk, j.rm, j.rp))
      else
        index(j.id, j.s, j.q, seq, j.ra, nil, nil, j.pr)
      end
      if j.pid then redis.call('ZADD', P .. 'children:' .. j.pid, seq, j.id) end
      if j.uk then redis.call('SADD', P .. 'uk:' .. j.uk, j.id) end
      if j.s == 'enqueued' and hears() then
        local e = decoded(j.e)
        enqueuedEvent(j.id, j.n, j.q, '1', e.reason, jnum(e.at))
      end
      out[i] = ''
    end
  end
  return out
end
`;

/**
 * The part of `fetch` that enforces flow control (see `FetchOptions` in the contract), used for a
 * fetch where some queue has settings or some fetched queue holds jobs with keys. Runs after the
 * claim helpers of `fetch.ts` (`claim`, `claimPlain`, `now`) and before its main body.
 *
 * Counting, per call (see keys.ts for the keys):
 * - a queue's processing jobs: the `qproc` counter;
 * - a concurrency key's processing jobs: the set `kp:<key>` of the jobs claimed with it, which a
 *   job leaves lazily: completions do not touch it, so it may hold jobs no longer processing
 *   (over-counting only). Its size is an upper bound; only when that bound reaches a job's limit
 *   are its members checked (and the stale ones dropped), once per call and key;
 * - starts: the sorted sets `rs:<key>` and `rq:<queue>`, score = start time, read once per key and
 *   window, and written at the end of the call (`logStarts`) so a read never sees this call's own.
 */
export const LIMITED_CLAIM = String.raw`
-- Limited candidates read at a time; more are read only if these run out.
local CHUNK = 64

local running = {}
local checked = {}
local started = {}
local startedNow = {}
local startLog = {}

-- The processing jobs carrying concurrency key ck, this call's claims included: the set's size,
-- or, once that reaches limit, its members that are still processing with this key.
local function runningWith(ck, limit)
  local c = running[ck]
  if c == nil then
    c = redis.call('SCARD', K_RUNNING[ck])
    running[ck] = c
  end
  if c >= limit and not checked[ck] then
    checked[ck] = true
    c = 0
    local set = K_RUNNING[ck]
    for _, id in ipairs(redis.call('SMEMBERS', set)) do
      local f = redis.call('HMGET', jobkey(id), 'state', 'ck')
      if f[1] == 'processing' and f[2] == ck then c = c + 1 else redis.call('SREM', set, id) end
    end
    running[ck] = c
  end
  return c
end

-- The starts in a log counted by a window of perMs at now, read once per log and window.
local function startsIn(log, perMs)
  local id = log .. '\0' .. perMs
  local c = started[id]
  if c == nil then
    c = redis.call('ZCOUNT', log, windowFrom(now, perMs), '+inf')
    started[id] = c
  end
  return c
end

-- Writes the starts this call made, dropping those no window of the claimed jobs counts any more.
local function logStarts()
  if #startLog == 0 then return end
  local last = redis.call('INCRBY', P .. 'starts:seq', #startLog)
  local pruned = {}
  for i, s in ipairs(startLog) do
    local log, perMs = s[1], s[2]
    local pid = log .. '\0' .. perMs
    if not pruned[pid] then
      pruned[pid] = true
      redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('%.0f', tonumber(now) - perMs))
    end
    redis.call('ZADD', log, now, last - i + 1)
  end
  startLog = {}
end

-- How many more of a queue's jobs its own limits allow now.
local function queueRoom(queue, s)
  local room = math.huge
  if s.conc then room = s.conc - tonumber(redis.call('HGET', P .. 'qproc', queue) or '0') end
  if s.rmax then room = math.min(room, s.rmax - startsIn(K_QSTARTS[queue], s.rper)) end
  return math.max(0, room)
end

-- Whether a limited job may start now: its concurrency key (ck, cl) and rate key (rk, rm, rp).
local function allows(f)
  if f[1] and runningWith(f[1], tonumber(f[2])) >= tonumber(f[2]) then return false end
  if f[3] then
    local perMs = tonumber(f[5])
    if startsIn(K_RATE[f[3]], perMs) + (startedNow[f[3]] or 0) >= tonumber(f[4]) then return false end
  end
  return true
end

-- Merges the queue's plain jobs with its limited ones in claim order, taking each limited job its
-- limits allow and leaving the others where they are. Returns how many it claimed.
local function claimLimited(queue, tail, room)
  local qkey, lkey = K_QUEUE[queue], K_LIMITED[queue]
  local plain = redis.call('ZRANGE', qkey, 0, room - 1, 'WITHSCORES')
  local p = 1
  local cands, c, bound, exhausted = {}, 1, '-inf', false
  local taken, gone = 0, {}
  while taken < room do
    if c > #cands and not exhausted then
      cands = redis.call('ZRANGEBYSCORE', lkey, bound, '+inf', 'WITHSCORES', 'LIMIT', 0, CHUNK)
      c = 1
      exhausted = #cands < 2 * CHUNK
      if #cands > 0 then bound = '(' .. cands[#cands] end
    end
    local ps, cs = plain[2 * p], cands[c + 1]
    if not ps and not cs then break end
    if ps and (not cs or tonumber(ps) < tonumber(cs)) then
      if claim(plain[2 * p - 1], tail, queue) then taken = taken + 1 end
      p = p + 1
    else
      local id = cands[c]
      c = c + 2
      local f = redis.call('HMGET', jobkey(id), 'ck', 'cl', 'rk', 'rm', 'rp')
      if allows(f) then
        gone[#gone + 1] = id
        if claim(id, tail, queue) then
          taken = taken + 1
          if f[1] then
            redis.call('SADD', K_RUNNING[f[1]], id)
            running[f[1]] = running[f[1]] + 1
          end
          if f[3] then
            startedNow[f[3]] = (startedNow[f[3]] or 0) + 1
            startLog[#startLog + 1] = { K_RATE[f[3]], tonumber(f[5]) }
          end
        end
      end
    end
  end
  if p > 1 then redis.call('ZREMRANGEBYRANK', qkey, 0, p - 2) end
  if #gone > 0 then many('ZREM', lkey, gone) end
  return taken
end

-- One queue of a fetch with flow control: skipped while paused, else claimed within its own
-- limits, on the plain path when none of its enqueued jobs carries a key.
local function claimQueue(queue, tail, need, s)
  if s and s.paused then return end
  local room = need
  if s then room = math.min(need, queueRoom(queue, s)) end
  if room <= 0 then return end
  local before = n
  if redis.call('EXISTS', K_LIMITED[queue]) == 1 then
    claimLimited(queue, tail, room)
  else
    claimPlain(queue, tail, room)
  end
  if s and s.rmax then
    for _ = 1, n - before do startLog[#startLog + 1] = { K_QSTARTS[queue], s.rper } end
  end
end
`;

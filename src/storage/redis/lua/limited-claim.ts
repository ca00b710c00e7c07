/**
 * The part of `fetch` that enforces flow control (see `FetchOptions` in the contract), used for a
 * fetch where some queue has settings or some fetched queue holds jobs with keys. Runs after the
 * claim helpers of `fetch.ts` (`claim`, `claimPlain`, `now`) and before its main body.
 *
 * Counting, per call (see keys.ts for the keys):
 * - a queue's processing jobs: the `qproc` counter;
 * - a concurrency key's processing jobs: the members of `kproc` scored with the key's number
 *   (`kids`), one ZCOUNT per key and call; a job leaves `kproc` with the processing index;
 * - starts: the sorted sets `rs:<key>` and `rq:<queue>`, score = start time, read once per key and
 *   window, and written at the end of the call (`logStarts`) so a read never sees this call's own.
 */
export const LIMITED_CLAIM = String.raw`
-- Limited candidates read at a time; more are read only if these run out.
local CHUNK = 64

local running = {}
local keyIds = {}
local started = {}
local startedNow = {}
local startLog = {}

-- The number standing for concurrency key ck in kproc's scores (false if it has none yet), made
-- when create is set.
local function keyId(ck, create)
  local k = keyIds[ck]
  if k == nil then
    k = redis.call('HGET', K_KEY_IDS, ck) or false
    keyIds[ck] = k
  end
  if not k and create then
    k = redis.call('INCR', P .. 'kids:seq')
    redis.call('HSET', K_KEY_IDS, ck, k)
    keyIds[ck] = k
  end
  return k
end

-- The processing jobs carrying concurrency key ck, this call's claims included.
local function runningWith(ck)
  local c = running[ck]
  if c == nil then
    local k = keyId(ck, false)
    c = k and redis.call('ZCOUNT', K_KPROC, k, k) or 0
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
  if f[1] and runningWith(f[1]) >= tonumber(f[2]) then return false end
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
            zadd(K_KPROC, keyId(f[1], true), id)
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

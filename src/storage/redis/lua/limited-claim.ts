import { MAX_RATE_WINDOW_MS } from '../../contract/index.js';

/**
 * The part of `fetch` that enforces flow control (see `FetchOptions` in the contract), used for a
 * fetch where some queue has settings or some fetched queue holds jobs with keys. Runs after the
 * claim helpers of `fetch.ts` (`claim`, `claimPlain`, `now`) and before its main body.
 *
 * Counting, per call (see keys.ts for the keys):
 * - a queue's processing jobs: the `qproc` counter;
 * - a concurrency key's processing jobs: the members of `kproc` scored with the key's number
 *   (`kids`, see `key-numbers.ts`), one ZCOUNT per key and call; a job leaves `kproc` with the
 *   processing index;
 * - starts: the sorted sets `rs:<key>` and `rq:<queue>`, score = start time, read once per key and
 *   window, and written at the end of the call (`logStarts`) so a read never sees this call's own.
 *   Each log written expires `MAX_RATE_WINDOW_MS` after its last start, when no window counts any
 *   of its starts any more: the log of a key no longer used (a tenant gone) does not stay for ever.
 */
export const LIMITED_CLAIM = String.raw`
-- Groups of limited jobs read at a time; more are read only if these run out.
local CHUNK = 64

local running = {}
local started = {}
local startedNow = {}
local startLog = {}


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

-- Writes the starts this call made, dropping those no window of the claimed jobs counts any more;
-- each log written expires once its last start is older than the longest window.
local function logStarts()
  if #startLog == 0 then return end
  local last = redis.call('INCRBY', P .. 'starts:seq', #startLog)
  local pruned, expiring = {}, {}
  for i, s in ipairs(startLog) do
    local log, perMs = s[1], s[2]
    local pid = log .. '\0' .. perMs
    if not pruned[pid] then
      pruned[pid] = true
      redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('%.0f', tonumber(now) - perMs))
    end
    redis.call('ZADD', log, now, last - i + 1)
    if not expiring[log] then
      expiring[log] = true
      redis.call('PEXPIRE', log, ${MAX_RATE_WINDOW_MS})
    end
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

-- A min-heap of groups by score, for merging the groups of a queue in claim order.
local function heapPush(h, g)
  local i = #h + 1
  h[i] = g
  while i > 1 do
    local parent = math.floor(i / 2)
    if h[parent].score <= h[i].score then break end
    h[parent], h[i] = h[i], h[parent]
    i = parent
  end
end
local function heapPop(h)
  local top, last = h[1], h[#h]
  h[#h] = nil
  if #h > 0 then
    h[1] = last
    local i = 1
    while true do
      local l, r, m = 2 * i, 2 * i + 1, i
      if l <= #h and h[l].score < h[m].score then m = l end
      if r <= #h and h[r].score < h[m].score then m = r end
      if m == i then break end
      h[m], h[i] = h[i], h[m]
      i = m
    end
  end
  return top
end

-- Merges the queue's plain jobs with its limited ones in claim order. Limited jobs come by group
-- (lg:<queue>, each group's score at most its first job's): a group is checked against its
-- limits once when it comes up, and skipped whole when over them, so a saturated key's backlog
-- costs one check, not one read per job. A group's first entry is taken as its first job; the
-- claim checks the job is still enqueued there with these limits, and drops the entry if not
-- (left by a deletion, a debounce, a move), and the group comes up again.
local function claimLimited(queue, tail, room)
  local qkey, gkey = K_QUEUE[queue], K_GROUPS[queue]
  local plain = redis.call('ZRANGE', qkey, 0, room - 1, 'WITHSCORES')
  local p = 1
  local heap, read, readUpTo, exhausted = {}, 0, nil, false
  local gone, scores = {}, {}
  local taken = 0

  local function readGroups()
    local r = redis.call('ZRANGE', gkey, read, read + CHUNK - 1, 'WITHSCORES')
    read = read + CHUNK
    exhausted = #r < 2 * CHUNK
    for i = 1, #r, 2 do heapPush(heap, { sig = r[i], score = tonumber(r[i + 1]), stored = r[i + 1] }) end
    if #r > 0 then readUpTo = tonumber(r[#r]) end
  end

  -- The group whose first entry comes next among those its limits allow, that entry resolved;
  -- nil when no group is left.
  local function nextGroup()
    while true do
      local g = heap[1]
      if not exhausted and (not g or g.score >= readUpTo) then
        readGroups()
      elseif not g then
        return nil
      elseif g.id then
        return g
      else
        heapPop(heap)
        if not g.limits then
          local l = {}
          for part in string.gmatch(g.sig .. '\1', '([^\1]*)\1') do l[#l + 1] = part ~= '' and part or false end
          g.limits = l
        end
        if allows(g.limits) then
          local r = redis.call('ZRANGE', groupKey(queue, g.sig), 0, 0, 'WITHSCORES')
          if #r == 0 then
            scores[g.sig] = false
          else
            g.id, g.score = r[1], tonumber(r[2])
            -- A first look at the group: its stored score becomes its first entry's.
            if scores[g.sig] == nil and r[2] ~= g.stored then scores[g.sig] = r[2] end
            heapPush(heap, g)
          end
        end
      end
    end
  end

  while taken < room do
    local g = nextGroup()
    local ps = plain[2 * p]
    if not ps and not g then break end
    if ps and (not g or tonumber(ps) < g.score) then
      if claim(plain[2 * p - 1], tail, queue) then taken = taken + 1 end
      p = p + 1
    else
      heapPop(heap)
      local id, l = g.id, g.limits
      g.id = nil
      heapPush(heap, g)
      redis.call('ZREM', groupKey(queue, g.sig), id)
      if claim(id, tail, queue, g.sig) then
        gone[#gone + 1] = id
        taken = taken + 1
        if l[1] then
          zadd(K_KPROC, keyId(l[1], true), id)
          running[l[1]] = running[l[1]] + 1
        end
        if l[3] then
          startedNow[l[3]] = (startedNow[l[3]] or 0) + 1
          startLog[#startLog + 1] = { K_RATE[l[3]], tonumber(l[5]) }
        end
      end
    end
  end
  if p > 1 then redis.call('ZREMRANGEBYRANK', qkey, 0, p - 2) end
  if #gone > 0 then many('ZREM', K_LIMITED[queue], gone) end
  -- Groups found empty go; a group's stored score stays a lower bound of its first job's (a claim
  -- only raises that), refreshed when a fetch first looks at it.
  for sig, score in pairs(scores) do
    if score then redis.call('ZADD', gkey, 'XX', score, sig) else redis.call('ZREM', gkey, sig) end
  end
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

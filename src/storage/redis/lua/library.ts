/**
 * Lua shared by every script: it is prepended to each script's body (see `../scripts.ts`).
 *
 * Calling convention of every Kiln script: `KEYS[1]` is the tag-qualified key prefix (`{kiln}:`),
 * so Redis Cluster routes the call to the installation's one slot; every other key is built from
 * it inside the script. That is allowed because all of them share the hash tag of `KEYS[1]`
 * (single-slot design, see `../keys.ts`); a script could not declare its keys up front anyway,
 * since which jobs it touches is decided inside it. `ARGV[1]` is the pub/sub channel; the
 * script's own arguments start at `ARGV[2]`.
 *
 * Numbers cross the boundary as decimal strings and are stored as given, so no precision is lost
 * to Lua's number formatting; `tonumber` is used only to compare. Time always comes from the
 * caller (`now`), never from Redis's clock.
 *
 * Job events (`job-event-library.ts`, pasted in before `flush()`): `requeue`, `createJobs`, and
 * the fetch, transition and merge-parameters scripts build them only when `hears()`. The numbers
 * of concurrency keys (`key-numbers.ts`) are pasted in there too.
 */
import { JOB_EVENT_LIBRARY } from './job-event-library.js';
import { KEY_NUMBERS } from './key-numbers.js';

export const LIBRARY = String.raw`
local P = KEYS[1]
local CHANNEL = ARGV[1]
local ACTIVE = { enqueued = true, scheduled = true, awaiting = true, processing = true }

local function jobkey(id) return P .. 'job:' .. id end

-- Index key names, each built once per call (every concatenation makes Lua hash a new string).
local K_PROCESSING, K_SCHEDULED, K_EXPIRE, K_RETRIES = P .. 'processing', P .. 'scheduled', P .. 'expire', P .. 'retries'
local function cached(prefix)
  return setmetatable({}, { __index = function(t, name)
    local k = P .. prefix .. name
    t[name] = k
    return k
  end })
end
local K_QUEUE, K_STATE, K_LIMITED = cached('q:'), cached('state:'), cached('lq:')

-- Flow control (see keys.ts). An enqueued job's score in its queue's set is its claim order:
-- seq - priority * 2^45, so higher priorities come first and equal ones stay FIFO; priority 0
-- (the default, and every job of a keyspace older than priorities) scores its plain seq. Every
-- score stays an exact integer below 2^53. Formatted with %.0f: Lua's own number formatting keeps
-- only 14 digits.
local PRIORITY_STEP = 35184372088832
local function queueScore(seq, pri)
  if not pri or pri == '' or pri == '0' then return seq end
  return string.format('%.0f', tonumber(seq) - tonumber(pri) * PRIORITY_STEP)
end

local K_SETTINGS = P .. 'qsettings'
local K_KPROC, K_KEY_IDS, K_KEY_NAMES = P .. 'kproc', P .. 'kids', P .. 'knames'
local K_RATE, K_QSTARTS, K_GROUPS = cached('rs:'), cached('rq:'), cached('lg:')

-- A limited job's group: its concurrency key and limit and rate key, max and window, joined by
-- \1 (keys hold no control characters); nil for a job without keys. The jobs of one group in one
-- queue are all over their limits or none is, so a fetch skips a blocked group whole.
local function sigOf(ck, cl, rk, rm, rp)
  if not ck and not rk then return nil end
  return table.concat({ ck or '', cl or '', rk or '', rm or '', rp or '' }, '\1')
end
local function groupKey(queue, sig) return P .. 'lgj:' .. queue .. '\1' .. sig end
-- Whether kproc exists (some job with a concurrency key is processing), read once per call by
-- the first job leaving processing: while none does, that costs one EXISTS per call.
local kprocLive = nil

-- A queue's settings as qsettings stores them ('paused,concurrency,rateMax,ratePerMs', '' for
-- none), or nil.
local function parseSettings(v)
  if not v then return nil end
  local p, c, rm, rp = string.match(v, '^(%d*),(%d*),(%d*),(%d*)$')
  return { paused = p == '1', conc = tonumber(c), rmax = tonumber(rm), rper = tonumber(rp) }
end

-- Stores a queue's settings, or drops them when they say nothing (running and unlimited).
local function storeSettings(queue, s)
  if not s.paused and not s.conc and not s.rmax then
    redis.call('HDEL', K_SETTINGS, queue)
  else
    redis.call('HSET', K_SETTINGS, queue, table.concat({ s.paused and '1' or '', s.conc or '', s.rmax or '', s.rper or '' }, ','))
  end
end

-- The lower bound, exclusive, of the starts a window of perMs counts at now: '(' .. now - perMs.
local function windowFrom(now, perMs)
  return '(' .. string.format('%.0f', tonumber(now) - perMs)
end

-- A variadic command over a long list, in slices (Lua's unpack handles a few thousand values).
-- The slice size is even, so ZADD's score/member pairs stay together.
local function many(cmd, key, list)
  local n = #list
  local i = 1
  while i <= n do
    local j = math.min(i + 999, n)
    redis.call(cmd, key, unpack(list, i, j))
    i = j + 1
  end
end

-- Index writes are buffered and sent at the end of the call as one variadic ZADD / ZREM per
-- sorted set and one HINCRBY per queue: a batch of 100 jobs costs a few index commands instead of
-- several hundred. The last write of a member wins, so a job changed twice in one batch ends up
-- where the sequential order puts it. Scripts read only job hashes after writing, never indexes.
local zops = {}
local qproc = {}
local function zadd(key, score, id)
  local t = zops[key]
  if not t then t = {}; zops[key] = t end
  t[id] = score
end
local function zrem(key, id)
  local t = zops[key]
  if not t then t = {}; zops[key] = t end
  t[id] = false
end

-- Queues that received jobs and jobs taken from their worker during this call; published once
-- at the end by flush().
local woken = {}
local aborted = {}

-- Hourly counters (fields of the hours hash, 's:<hour>' / 'f:<hour>') touched during this call,
-- flushed once at the end together with the lifetime totals they add up to.
local counters = {}
local function count(field)
  counters[field] = (counters[field] or 0) + 1
end

-- Expiries set during this call: (id, expireAt) pairs, written by flush() as one batch of the
-- expiry log (see keys.ts): an append per job instead of an insert into a sorted set of every
-- retained job. An entry stays valid while the job's expireAt field still holds its expireAt.
-- The script sets expiringFrom, when the batch is due: at or before its earliest expireAt
-- (the client computes it for a transition: tonumber, glibc's strtod, costs ~2k instructions).
local expiring = {}
local expiringFrom = nil
local function expires(id, expireAt)
  expiring[#expiring + 1] = id
  expiring[#expiring + 1] = expireAt
end

local function logExpiries()
  if #expiring == 0 then return end
  local batch = redis.call('INCR', P .. 'expire:seq')
  many('RPUSH', P .. 'expire:' .. batch, expiring)
  redis.call('ZADD', K_EXPIRE, expiringFrom, batch)
  expiring, expiringFrom = {}, nil
end

${JOB_EVENT_LIBRARY}
${KEY_NUMBERS}
-- Sends the buffered index writes, expiries, counters, wake-ups and job events. Every script
-- that writes calls it last.
local function flush()
  logExpiries()
  for key, members in pairs(zops) do
    local adds, rems = {}, {}
    for id, score in pairs(members) do
      if score then
        adds[#adds + 1] = score
        adds[#adds + 1] = id
      else
        rems[#rems + 1] = id
      end
    end
    local freed = key == K_KPROC and #rems > 0 and kprocNumbers(rems)
    many('ZREM', key, rems)
    many('ZADD', key, adds)
    if freed then forgetIdleKeys(freed) end
  end
  zops = {}
  for q, d in pairs(qproc) do
    if d ~= 0 then redis.call('HINCRBY', P .. 'qproc', q, d) end
    if d > 0 then redis.call('SADD', P .. 'queues', q) end
  end
  qproc = {}
  local succeeded, failed = 0, 0
  for field, n in pairs(counters) do
    redis.call('HINCRBY', P .. 'hours', field, n)
    if string.sub(field, 1, 1) == 's' then succeeded = succeeded + n else failed = failed + n end
  end
  if succeeded > 0 then redis.call('HINCRBY', P .. 'stats', 'succeeded', succeeded) end
  if failed > 0 then redis.call('HINCRBY', P .. 'stats', 'failed', failed) end
  counters = {}
  for q in pairs(woken) do
    redis.call('SADD', P .. 'queues', q)
    redis.call('PUBLISH', CHANNEL, cjson.encode({ t = 'e', q = q }))
  end
  woken = {}
  for _, id in ipairs(aborted) do
    redis.call('PUBLISH', CHANNEL, cjson.encode({ t = 'a', id = id }))
  end
  aborted = {}
  publishJobEvents()
end

-- The indexes of a job by state (see keys.ts):
--   enqueued    q:<queue> (score seq), the only list of enqueued jobs: fetch touches one set
--   processing  processing (score leaseUntil, +inf without a lease) and the qproc counter
--   scheduled   scheduled (score runAt, absent without a time) and state:scheduled (score seq),
--               and retries (score seq) when its attempt is above 1: a retry's back-off
--   others      state:<state> (score seq)
-- Enqueued and processing jobs have no state:<state> set: those two are the hot path, and
-- monitoring can afford to merge the queues' sets or sort the (small) processing set.

-- Removes a job from the indexes of its state.
local function unindex(id, state, queue)
  if state == 'enqueued' then
    zrem(K_QUEUE[queue], id)
    zrem(K_LIMITED[queue], id)
  elseif state == 'processing' then
    zrem(K_PROCESSING, id)
    qproc[queue] = (qproc[queue] or 0) - 1
    if kprocLive == nil then kprocLive = redis.call('EXISTS', K_KPROC) == 1 end
    if kprocLive then zrem(K_KPROC, id) end
  else
    zrem(K_STATE[state], id)
    if state == 'scheduled' then
      zrem(K_SCHEDULED, id)
      zrem(K_RETRIES, id)
    end
  end
end

-- Adds a job to the indexes of its state. runAt / leaseUntil may be nil or ''; attempt matters
-- only for a scheduled job (nil: 1); pri (nil or '': 0) and sig (its group, see sigOf: in
-- lq:<queue> and its group's sets instead of q:<queue>) only for an enqueued one.
local function index(id, state, queue, seq, runAt, leaseUntil, attempt, pri, sig)
  if state == 'enqueued' then
    local score = queueScore(seq, pri)
    if sig then
      zadd(K_LIMITED[queue], score, id)
      -- The group's sets are written at once (fetch reads them); a job leaving them otherwise
      -- than by fetch stays until a fetch finds it stale.
      redis.call('ZADD', groupKey(queue, sig), score, id)
      redis.call('ZADD', K_GROUPS[queue], 'LT', score, sig)
    else
      zadd(K_QUEUE[queue], score, id)
    end
    woken[queue] = true
  elseif state == 'processing' then
    if leaseUntil and leaseUntil ~= '' then
      zadd(K_PROCESSING, leaseUntil, id)
    else
      zadd(K_PROCESSING, '+inf', id)
    end
    qproc[queue] = (qproc[queue] or 0) + 1
  else
    zadd(K_STATE[state], seq, id)
    if state == 'scheduled' then
      if runAt and runAt ~= '' then zadd(K_SCHEDULED, runAt, id) end
      if attempt and tonumber(attempt) > 1 then zadd(K_RETRIES, seq, id) end
    end
  end
end

-- HGETALL as a table.
local function hash(flat)
  local m = {}
  for i = 1, #flat, 2 do m[flat[i]] = flat[i + 1] end
  return m
end

-- The last entry of a history text (entries are joined by newlines, which JSON text never holds
-- outside strings, where it is escaped): the current state's entry.
local function lastEntry(hist)
  local from, at = 1, 0
  while true do
    local i = string.find(hist, '\n', from, true)
    if not i then break end
    at, from = i, i + 1
  end
  return string.sub(hist, at + 1)
end

-- A job record for the client: the hash's fields without the history, plus its last entry as
-- 'cur' (the current state's reason, data and time).
local function record(m)
  local out = {}
  for k, v in pairs(m) do
    if k ~= 'hist' then
      out[#out + 1] = k
      out[#out + 1] = v
    end
  end
  out[#out + 1] = 'cur'
  out[#out + 1] = lastEntry(m.hist or '')
  return out
end

local function readRecord(id)
  local flat = redis.call('HGETALL', jobkey(id))
  if #flat == 0 then return nil end
  return record(hash(flat))
end

-- Appends history entries (JSON texts joined by newlines) to a history text.
local function appendHistory(hist, entries)
  if hist and hist ~= '' then return hist .. '\n' .. entries end
  return entries
end

-- Merges parameters (a table of JSON texts, decoded from a JSON object whose values are the
-- parameters' JSON texts, so cjson only ever handles strings) into the stored ones (such an
-- object's text, or nil).
local function mergeParameters(stored, added)
  if not stored or stored == '' then return cjson.encode(added) end
  local t = cjson.decode(stored)
  for k, v in pairs(added) do t[k] = v end
  return cjson.encode(t)
end

-- The interruption count after one more (see INTERRUPTIONS_PARAMETER in the contract): the stored
-- count (a JSON text among the params) plus one; not a number counts as 0, a fraction is cut, and
-- the count stops at 10^9.
local function nextInterruption(stored)
  local n = tonumber(stored)
  if n == nil or n ~= n then n = 0 end
  return math.floor(math.min(math.max(n, 0), 1000000000)) + 1
end

-- Puts a job back in its queue (scheduled time reached, lease expired, server gone), if it is
-- still in the state the caller found it in. With interrupted (its run ended without a result),
-- counts the interruption in its params and at the end of the reason.
local function requeue(id, expect, reason, now, interrupted)
  local key = jobkey(id)
  local f = redis.call('HMGET', key, 'state', 'queue', 'seq', 'hist', 'params', 'pri', 'ck', 'cl', 'rk', 'rm', 'rp')
  if f[1] ~= expect then return false end
  unindex(id, f[1], f[2])
  local fields = { 'state', 'enqueued', 'runAt', '', 'serverId', '', 'leaseUntil', '' }
  if interrupted then
    local params = {}
    if f[5] and f[5] ~= '' then params = cjson.decode(f[5]) end
    local count = nextInterruption(params.interruptions)
    params.interruptions = string.format('%d', count)
    reason = reason .. ' (interruption ' .. params.interruptions .. ')'
    fields[#fields + 1] = 'params'
    fields[#fields + 1] = cjson.encode(params)
  end
  if hears() then
    local j = redis.call('HMGET', key, 'name', 'attempt')
    enqueuedEvent(id, j[1], f[2], j[2], reason, now)
  end
  local entry = '{"name":"enqueued","reason":' .. cjson.encode(reason) .. ',"at":' .. now .. '}'
  fields[#fields + 1] = 'hist'
  fields[#fields + 1] = appendHistory(f[4], entry)
  redis.call('HSET', key, unpack(fields))
  index(id, 'enqueued', f[2], f[3], nil, nil, nil, f[6], sigOf(f[7], f[8], f[9], f[10], f[11]))
  return true
end
`;

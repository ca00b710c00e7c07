import { LIMITED_CLAIM } from './limited-claim.js';

/**
 * How a claimed job is written and replied, shared by the plain path below and the limited one
 * (`limited-claim.ts`).
 */
const CLAIM = String.raw`
local max = tonumber(ARGV[2])
local serverId, leaseUntil, entry, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local FIRST_QUEUE = 7
-- The reply's pieces, joined once at the end: no string is made per job.
local out = { '[' }
local o = 1
local n = 0
-- When the claim happened, for the started events (read from the history entry once, if someone listens).
local fetchedAt = nil

-- Claims one job taken from its queue's set, if it is still enqueued (else its index entry was
-- stale, and is dropped all the same). tail is ',<queue index>,'. With sig (a limited job taken
-- from its group's set, see limited-claim.ts), only if it is still enqueued in this queue with
-- these limits.
local function claim(id, tail, queue, sig)
  local key = jobkey(id)
  local f
  if sig then
    f = redis.call('HMGET', key, 'state', 'j', 'attempt', 'runAt', 'expireAt', 'params', 'result', 'hist', 'queue', 'ck', 'cl', 'rk', 'rm', 'rp')
    if f[9] ~= queue or sigOf(f[10], f[11], f[12], f[13], f[14]) ~= sig then return false end
  else
    f = redis.call('HMGET', key, 'state', 'j', 'attempt', 'runAt', 'expireAt', 'params', 'result', 'hist')
  end
  if f[1] ~= 'enqueued' then return false end
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
  return true
end

-- The plain path: the first count jobs of the queue's set of jobs without keys, in claim order.
local function claimPlain(queue, tail, count)
  -- The lowest members without their scores (ZPOPMIN formats every score as a double).
  local qkey = K_QUEUE[queue]
  local popped = redis.call('ZRANGE', qkey, 0, count - 1)
  if #popped > 0 then redis.call('ZREMRANGEBYRANK', qkey, 0, #popped - 1) end
  for i = 1, #popped do claim(popped[i], tail, queue) end
end
`;

/**
 * ARGV[2] = max, [3] = serverId, [4] = leaseUntil, [5] = the processing history entry (JSON),
 * [6] = now, [7..] = queues in priority order. Takes each queue's jobs in claim order (priority,
 * then FIFO: the set's score, see `queueScore` in the library) in turn.
 *
 * Flow control costs the plain path one EXISTS: when no queue has settings and no fetched queue
 * holds jobs with keys, every queue is popped as before flow control existed; otherwise each
 * queue goes through `claimQueue` (`limited-claim.ts`).
 *
 * Returns the claimed jobs as one JSON text, an array of
 * `[j, queue index (1 = ARGV[7]), attempt, runAt, expireAt, params, result]` (absent values as
 * null): the stored JSON texts are pasted in as they are, so no value is decoded or re-encoded
 * here, and the client knows the rest of a claimed job's record (its new state) already.
 */
export const FETCH =
  CLAIM +
  LIMITED_CLAIM +
  String.raw`
local flowKeys = { K_SETTINGS }
for qi = FIRST_QUEUE, #ARGV do flowKeys[#flowKeys + 1] = K_LIMITED[ARGV[qi]] end
local settings = nil
if redis.call('EXISTS', unpack(flowKeys)) > 0 then
  settings = redis.call('HMGET', K_SETTINGS, unpack(ARGV, FIRST_QUEUE))
end
for qi = FIRST_QUEUE, #ARGV do
  local need = max - n
  if need <= 0 then break end
  local queue = ARGV[qi]
  local tail = ',' .. (qi - FIRST_QUEUE + 1) .. ','
  if settings then
    claimQueue(queue, tail, need, parseSettings(settings[qi - FIRST_QUEUE + 1]))
  else
    claimPlain(queue, tail, need)
  end
end
logStarts()
flush()
if n == 0 then return '[]' end
out[o + 1] = ']]'
return table.concat(out)
`;

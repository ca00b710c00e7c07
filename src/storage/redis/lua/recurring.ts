/**
 * Lua bodies for recurring definitions. A definition is the hash `rec:<id>` with one field per
 * property (absent = null, `paused` is '1' / '0'); `recurring:due` holds the unpaused ones that
 * have a next execution, scored by it, so `dueRecurring` is a range read.
 */

/** ARGV[2] = id, [3] = due score or '' (paused or no next execution), [4..] = field, value pairs. */
export const UPSERT_RECURRING = String.raw`
local id, due = ARGV[2], ARGV[3]
local key = P .. 'rec:' .. id
redis.call('DEL', key)
redis.call('HSET', key, unpack(ARGV, 4))
redis.call('SADD', P .. 'recurring', id)
if due ~= '' then
  redis.call('ZADD', P .. 'recurring:due', due, id)
else
  redis.call('ZREM', P .. 'recurring:due', id)
end
return 1
`;

/** ARGV[2] = id. Returns 1 when it existed. */
export const REMOVE_RECURRING = String.raw`
redis.call('DEL', P .. 'rec:' .. ARGV[2])
redis.call('ZREM', P .. 'recurring:due', ARGV[2])
return redis.call('SREM', P .. 'recurring', ARGV[2])
`;

/** ARGV[2] = id, [3] = '1' paused / '0' resumed. Returns 0 when there is no such definition. */
export const SET_RECURRING_PAUSED = String.raw`
local key = P .. 'rec:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'paused', ARGV[3])
local nextAt = redis.call('HGET', key, 'nextExecution')
if ARGV[3] == '0' and nextAt then
  redis.call('ZADD', P .. 'recurring:due', nextAt, ARGV[2])
else
  redis.call('ZREM', P .. 'recurring:due', ARGV[2])
end
return 1
`;

/** Returns { id, HGETALL } for every definition (the client sorts). */
export const LIST_RECURRING = String.raw`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'recurring')) do
  out[#out + 1] = { id, redis.call('HGETALL', P .. 'rec:' .. id) }
end
return out
`;

/** ARGV[2] = now, [3] = limit. Returns { id, HGETALL } of due definitions, earliest first. */
export const DUE_RECURRING = String.raw`
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'recurring:due', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  out[#out + 1] = { id, redis.call('HGETALL', P .. 'rec:' .. id) }
end
return out
`;

/**
 * ARGV[2] = id, [3] = expectNext, [4] = nextExecution or '', [5] = lastExecution or '',
 * [6] = error mode ('' keep, 'n' null, 's' set to ARGV[7]), [7] = error text, [8] = JSON array of
 * encoded jobs, [9] = now. Compare-and-set on nextExecution; creates the jobs in the same script
 * (before touching the definition, so a failed creation changes nothing). Returns 1 / 0.
 */
export const ADVANCE_RECURRING = String.raw`
local id = ARGV[2]
local key = P .. 'rec:' .. id
local f = redis.call('HMGET', key, 'nextExecution', 'paused')
if not f[1] or tonumber(f[1]) ~= tonumber(ARGV[3]) then return 0 end
local jobs = cjson.decode(ARGV[8])
local lastJobId = nil
if #jobs > 0 then
  local created = createJobs(jobs, ARGV[9])
  if created.err then return created end
  lastJobId = created[#created]
  if lastJobId == '' then lastJobId = jobs[#jobs].id end
end
if ARGV[4] ~= '' then
  redis.call('HSET', key, 'nextExecution', ARGV[4])
  if f[2] ~= '1' then redis.call('ZADD', P .. 'recurring:due', ARGV[4], id) end
else
  redis.call('HDEL', key, 'nextExecution')
  redis.call('ZREM', P .. 'recurring:due', id)
end
if ARGV[5] ~= '' then redis.call('HSET', key, 'lastExecution', ARGV[5]) else redis.call('HDEL', key, 'lastExecution') end
if ARGV[6] == 's' then redis.call('HSET', key, 'error', ARGV[7]) elseif ARGV[6] == 'n' then redis.call('HDEL', key, 'error') end
if lastJobId then redis.call('HSET', key, 'lastJobId', lastJobId) end
flush()
return 1
`;

/** ARGV[2] = id. Returns the definition's HGETALL ({} when none). */
export const GET_RECURRING = String.raw`
return redis.call('HGETALL', P .. 'rec:' .. ARGV[2])
`;

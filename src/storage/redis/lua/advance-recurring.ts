import { JOB_CREATION } from './job-creation.js';

/**
 * ARGV[2] = id, [3] = expectNext, [4] = nextExecution or '', [5] = lastExecution or '',
 * [6] = error mode ('' keep, 'n' null, 's' set to ARGV[7]), [7] = error text, [8] = JSON array of
 * encoded jobs, [9] = now. Compare-and-set on nextExecution; creates the jobs in the same script
 * (before touching the definition, so a failed creation changes nothing). Returns 1 / 0.
 */
export const ADVANCE_RECURRING = JOB_CREATION + String.raw`
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

/**
 * ARGV[2] = job id, [3] = after, [4] = limit. A page of a job's log: its newest line's seq
 * ('0' when it has none or does not exist), how many lines it keeps, and the kept lines after
 * `after`, at most `limit`. The kept lines are one unbroken run ending at the newest, so the
 * line at index i of the list has seq newest - kept + 1 + i.
 */
export const JOB_LOGS = String.raw`
local last = redis.call('HGET', jobkey(ARGV[2]), 'logs')
if not last then return { '0', 0, {} } end
local log = P .. 'log:' .. ARGV[2]
local kept = redis.call('LLEN', log)
local start = math.max(0, tonumber(ARGV[3]) - (tonumber(last) - kept))
local lines = {}
if start < kept then lines = redis.call('LRANGE', log, start, start + tonumber(ARGV[4]) - 1) end
return { last, kept, lines }
`;

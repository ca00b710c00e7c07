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

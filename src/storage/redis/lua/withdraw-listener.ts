/**
 * ARGV[2] = listener instance id. Withdraws a job-event listener's announcement; `listening`
 * goes with the last live one, or lives as long as the longest-lived one left.
 */
export const WITHDRAW_LISTENER = String.raw`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = P .. 'listeners'
redis.call('ZREM', key, ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if #last == 0 then
  redis.call('DEL', P .. 'listening', key)
else
  local ms = tonumber(last[2]) - now
  redis.call('SET', P .. 'listening', '1', 'PX', ms)
  redis.call('PEXPIRE', key, ms)
end
return 1
`;

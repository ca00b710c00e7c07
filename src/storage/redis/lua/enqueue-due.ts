/** ARGV[2] = now, [3] = limit. Scheduled jobs with runAt <= now, earliest first. Returns how many moved. */
export const ENQUEUE_DUE = String.raw`
local now = ARGV[2]
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_SCHEDULED, '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  if requeue(id, 'scheduled', 'Scheduled time reached', now) then
    n = n + 1
  else
    redis.call('ZREM', K_SCHEDULED, id)
  end
end
flush()
return n
`;

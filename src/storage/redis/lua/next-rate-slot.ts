/**
 * ARGV[2] = now, [3..] = queues. When a claim held back by a rate limit can succeed again (see
 * `QueueControl.nextRateSlot`): the earliest reopening, after now, of a full window among the
 * rate-limited queues with enqueued jobs and the rate keys their enqueued jobs carry; paused
 * queues left out. Returns the time, or '' when nothing waits on a full window. Reads only.
 */
export const NEXT_RATE_SLOT = String.raw`
local now = ARGV[2]
local best = nil
-- A window of max per perMs full at now reopens at its max-th most recent counted start + perMs.
local function reopens(log, max, perMs)
  local r = redis.call('ZREVRANGEBYSCORE', log, '+inf', windowFrom(now, perMs), 'WITHSCORES', 'LIMIT', max - 1, 1)
  if #r == 0 then return end
  local at = tonumber(r[2]) + perMs
  if not best or at < best then best = at end
end
local settings = redis.call('HMGET', K_SETTINGS, unpack(ARGV, 3))
for i = 3, #ARGV do
  local queue = ARGV[i]
  local s = parseSettings(settings[i - 2])
  if not (s and s.paused) and redis.call('EXISTS', K_QUEUE[queue], K_LIMITED[queue]) > 0 then
    if s and s.rmax then reopens(K_QSTARTS[queue], s.rmax, s.rper) end
    local seen = {}
    for _, id in ipairs(redis.call('ZRANGE', K_LIMITED[queue], 0, -1)) do
      local f = redis.call('HMGET', jobkey(id), 'state', 'rk', 'rm', 'rp')
      if f[1] == 'enqueued' and f[2] then
        local k = f[2] .. '\0' .. f[3] .. '\0' .. f[4]
        if not seen[k] then
          seen[k] = true
          reopens(K_RATE[f[2]], tonumber(f[3]), tonumber(f[4]))
        end
      end
    end
  end
end
if best then return string.format('%.0f', best) end
return ''
`;

/**
 * ARGV[2] = now, [3..] = queues. When a claim held back by a rate limit can succeed again (see
 * `QueueControl.nextRateSlot`): the earliest reopening, after now, of a full window among the
 * rate-limited queues with enqueued jobs and the rate keys their enqueued jobs carry (found by
 * group: one valid job per group is read); paused queues left out. Returns the time, or '' when nothing waits on a full window. Reads only.
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
local seen = {}
for i = 3, #ARGV do
  local queue = ARGV[i]
  local s = parseSettings(settings[i - 2])
  if not (s and s.paused) and redis.call('EXISTS', K_QUEUE[queue], K_LIMITED[queue]) > 0 then
    if s and s.rmax then reopens(K_QSTARTS[queue], s.rmax, s.rper) end
    -- The rate keys of its groups that still hold an enqueued job (a group's set may keep
    -- entries of jobs gone elsewhere until a fetch drops them).
    for _, sig in ipairs(redis.call('ZRANGE', K_GROUPS[queue], 0, -1)) do
      local ck, cl, rk, rm, rp = string.match(sig, '^([^\1]*)\1([^\1]*)\1([^\1]*)\1([^\1]*)\1([^\1]*)$')
      local id = rk and rk ~= '' and rk .. '\1' .. rm .. '\1' .. rp
      local from = 0
      while id and not seen[id] do
        local page = redis.call('ZRANGE', groupKey(queue, sig), from, from + 63)
        if #page == 0 then break end
        from = from + 64
        for _, jid in ipairs(page) do
          local f = redis.call('HMGET', jobkey(jid), 'state', 'queue', 'ck', 'cl', 'rk', 'rm', 'rp')
          if f[1] == 'enqueued' and f[2] == queue and sigOf(f[3], f[4], f[5], f[6], f[7]) == sig then
            seen[id] = true
            reopens(K_RATE[rk], tonumber(rm), tonumber(rp))
            break
          end
        end
      end
    end
  end
end
if best then return string.format('%.0f', best) end
return ''
`;

/** Returns { queue, paused (1 / 0), concurrency, rate max, rate window } ('' for none) per queue with settings. */
export const QUEUE_SETTINGS = String.raw`
local out = {}
local flat = redis.call('HGETALL', K_SETTINGS)
for i = 1, #flat, 2 do
  local s = parseSettings(flat[i + 1])
  if s then out[#out + 1] = { flat[i], s.paused and 1 or 0, s.conc or '', s.rmax or '', s.rper or '' } end
end
return out
`;

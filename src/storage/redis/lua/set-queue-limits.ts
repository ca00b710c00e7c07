/**
 * ARGV[2] = queue, [3] = concurrency or '', [4] = rate max or '', [5] = rate window (ms) or ''.
 * Replaces the queue's limits, keeps its paused flag, and publishes an `enqueued` wake-up for it.
 * The queue's logged starts stay, counted against the new rate.
 */
export const SET_QUEUE_LIMITS = String.raw`
local queue = ARGV[2]
local s = parseSettings(redis.call('HGET', K_SETTINGS, queue)) or { paused = false }
s.conc, s.rmax, s.rper = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
storeSettings(queue, s)
woken[queue] = true
flush()
return 1
`;

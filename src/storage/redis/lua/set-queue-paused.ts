/**
 * ARGV[2] = queue, [3] = '1' to pause, '0' to resume. Returns 1 when the flag changed, 0 when the
 * queue already was in that state. Resuming publishes an `enqueued` wake-up for the queue.
 */
export const SET_QUEUE_PAUSED = String.raw`
local queue, paused = ARGV[2], ARGV[3] == '1'
local s = parseSettings(redis.call('HGET', K_SETTINGS, queue)) or { paused = false }
if s.paused == paused then return 0 end
s.paused = paused
storeSettings(queue, s)
if not paused then woken[queue] = true end
flush()
return 1
`;

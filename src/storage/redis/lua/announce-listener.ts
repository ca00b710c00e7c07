/**
 * ARGV[2] = listener instance id, [3] = how long an announcement lasts (ms). Announces (or
 * refreshes) a job-event listener, judged by Redis's clock: its entry in `listeners` lapses then,
 * lapsed entries are dropped, and `listening` (the key the writing scripts check) lives as long
 * as the longest-lived entry. Returns 1 when the instance's announcement was still live (a
 * refresh), 0 when it was missing or had lapsed.
 */
export const ANNOUNCE_LISTENER = String.raw`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = P .. 'listeners'
local before = tonumber(redis.call('ZSCORE', key, ARGV[2]) or '0')
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
redis.call('ZADD', key, now + tonumber(ARGV[3]), ARGV[2])
local last = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
redis.call('SET', P .. 'listening', '1', 'PX', last - now)
redis.call('PEXPIRE', key, last - now)
if before > now then return 1 end
return 0
`;

/**
 * ARGV[2] = the seq to continue after ('' to start), [3] = how many scheduled jobs to read.
 * Fills the `retries` index from the scheduled jobs, for a keyspace written before the index
 * existed (see `keys.ts`): `migrate()` calls it until it returns '', one bounded slice of
 * `state:scheduled` a call so no call blocks Redis for long. Once a pass ends it sets
 * `retries:indexed` and every later call returns '' at once. Jobs scheduled meanwhile are indexed
 * by the scripts that schedule them, so slices need not be one snapshot.
 */
export const INDEX_RETRIES = String.raw`
local done = P .. 'retries:indexed'
if redis.call('EXISTS', done) == 1 then return '' end
local from = '-inf'
if ARGV[2] ~= '' then from = '(' .. ARGV[2] end
local size = tonumber(ARGV[3])
local page = redis.call('ZRANGEBYSCORE', K_STATE['scheduled'], from, '+inf', 'WITHSCORES', 'LIMIT', 0, size)
for i = 1, #page, 2 do
  local attempt = redis.call('HGET', jobkey(page[i]), 'attempt')
  if attempt and tonumber(attempt) > 1 then redis.call('ZADD', K_RETRIES, page[i + 1], page[i]) end
end
if #page < 2 * size then
  redis.call('SET', done, '1')
  return ''
end
return page[#page]
`;

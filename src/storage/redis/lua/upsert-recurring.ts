/** ARGV[2] = id, [3] = due score or '' (paused or no next execution), [4..] = field, value pairs. */
export const UPSERT_RECURRING = String.raw`
local id, due = ARGV[2], ARGV[3]
local key = P .. 'rec:' .. id
redis.call('DEL', key)
redis.call('HSET', key, unpack(ARGV, 4))
redis.call('SADD', P .. 'recurring', id)
if due ~= '' then
  redis.call('ZADD', P .. 'recurring:due', due, id)
else
  redis.call('ZREM', P .. 'recurring:due', id)
end
return 1
`;

/** ARGV[2] = id. Returns 1 when it existed. */
export const REMOVE_RECURRING = String.raw`
redis.call('DEL', P .. 'rec:' .. ARGV[2])
redis.call('ZREM', P .. 'recurring:due', ARGV[2])
return redis.call('SREM', P .. 'recurring', ARGV[2])
`;

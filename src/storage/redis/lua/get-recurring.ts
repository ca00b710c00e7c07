/** ARGV[2] = id. Returns the definition's HGETALL ({} when none). */
export const GET_RECURRING = String.raw`
return redis.call('HGETALL', P .. 'rec:' .. ARGV[2])
`;

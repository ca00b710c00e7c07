/** ARGV[2] = id, [3] = JSON record without heartbeatAt, [4] = heartbeatAt. */
export const ANNOUNCE_SERVER = String.raw`
redis.call('HSET', P .. 'servers', ARGV[2], ARGV[3])
redis.call('ZADD', P .. 'heartbeats', ARGV[4], ARGV[2])
return 1
`;

/** ARGV[2] = id, [3] = now. Returns 0 when the server record is gone. */
export const HEARTBEAT = String.raw`
if redis.call('HEXISTS', P .. 'servers', ARGV[2]) == 0 then return 0 end
redis.call('ZADD', P .. 'heartbeats', ARGV[3], ARGV[2])
return 1
`;

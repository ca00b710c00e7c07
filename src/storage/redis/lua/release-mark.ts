/** ARGV[2] = server id, [3] = token. Deletes the mark record if it is still this hold's. Returns 1 / 0. */
export const RELEASE_MARK = String.raw`
if redis.call('HGET', P .. 'marks', ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('HDEL', P .. 'marks', ARGV[2])
return 1
`;

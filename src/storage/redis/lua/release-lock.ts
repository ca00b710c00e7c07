/** ARGV[2] = resource, [3] = owner. Releases only the owner's lock. */
export const RELEASE_LOCK = String.raw`
if redis.call('HGET', P .. 'locks', ARGV[2]) == ARGV[3] then
  redis.call('HDEL', P .. 'locks', ARGV[2])
  redis.call('ZREM', P .. 'locks:until', ARGV[2])
end
return 1
`;

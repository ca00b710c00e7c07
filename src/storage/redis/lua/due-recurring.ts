/** ARGV[2] = now, [3] = limit. Returns { id, HGETALL } of due definitions, earliest first. */
export const DUE_RECURRING = String.raw`
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'recurring:due', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  out[#out + 1] = { id, redis.call('HGETALL', P .. 'rec:' .. id) }
end
return out
`;

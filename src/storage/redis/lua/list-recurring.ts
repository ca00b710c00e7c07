/** Returns { id, HGETALL } for every definition (the client sorts). */
export const LIST_RECURRING = String.raw`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'recurring')) do
  out[#out + 1] = { id, redis.call('HGETALL', P .. 'rec:' .. id) }
end
return out
`;

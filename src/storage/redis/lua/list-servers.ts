/** Returns { JSON record, heartbeatAt } of every server (the client sorts). */
export const LIST_SERVERS = String.raw`
local out = {}
local all = redis.call('HGETALL', P .. 'servers')
for i = 1, #all, 2 do
  out[#out + 1] = { all[i + 1], redis.call('ZSCORE', P .. 'heartbeats', all[i]) or '0' }
end
return out
`;

/** Returns { queue, enqueued, processing } for every known queue (the client drops empty ones). */
export const QUEUES = String.raw`
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  out[#out + 1] = { q, redis.call('ZCARD', K_QUEUE[q]) + redis.call('ZCARD', K_LIMITED[q]), tonumber(redis.call('HGET', P .. 'qproc', q) or '0') }
end
return out
`;

/**
 * ARGV[2] = now. Every limit in use (see `MonitoringApi.limitUsage`), unordered: the queues' own
 * limits, then the job groups of the enqueued and processing jobs carrying keys. Returns
 * { scope, kind, key, limit, perMs ('' for concurrency), used, waiting } per limit; the client
 * filters, orders and pages them.
 */
export const LIMIT_USAGE = String.raw`
local now = ARGV[2]
local out = {}
local flat = redis.call('HGETALL', K_SETTINGS)
for i = 1, #flat, 2 do
  local queue, s = flat[i], parseSettings(flat[i + 1])
  local waiting = redis.call('ZCARD', K_QUEUE[queue]) + redis.call('ZCARD', K_LIMITED[queue])
  if s and s.conc then
    local used = tonumber(redis.call('HGET', P .. 'qproc', queue) or '0')
    out[#out + 1] = { 'queue', 'concurrency', queue, s.conc, '', used, waiting }
  end
  if s and s.rmax then
    local used = redis.call('ZCOUNT', K_QSTARTS[queue], windowFrom(now, s.rper), '+inf')
    out[#out + 1] = { 'queue', 'rate', queue, s.rmax, s.rper, used, waiting }
  end
end
-- Job groups, by kind and key: the largest limit their jobs carry, and the window carried with it.
local groups, order = {}, {}
local function group(kind, key, limit, perMs, enqueued)
  local id = kind .. '\0' .. key
  local g = groups[id]
  if not g then
    g = { kind = kind, key = key, limit = limit, perMs = perMs, used = 0, waiting = 0 }
    groups[id] = g
    order[#order + 1] = g
  elseif limit > g.limit then
    g.limit, g.perMs = limit, perMs
  end
  if enqueued then g.waiting = g.waiting + 1 elseif kind == 'concurrency' then g.used = g.used + 1 end
end
local function add(id, want)
  local f = redis.call('HMGET', jobkey(id), 'state', 'ck', 'cl', 'rk', 'rm', 'rp')
  if f[1] ~= want then return end
  if f[2] then group('concurrency', f[2], tonumber(f[3]), nil, want == 'enqueued') end
  if f[4] then group('rate', f[4], tonumber(f[5]), tonumber(f[6]), want == 'enqueued') end
end
for _, queue in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  for _, id in ipairs(redis.call('ZRANGE', K_LIMITED[queue], 0, -1)) do add(id, 'enqueued') end
end
for _, id in ipairs(redis.call('ZRANGE', K_PROCESSING, 0, -1)) do add(id, 'processing') end
for _, g in ipairs(order) do
  if g.kind == 'rate' then g.used = redis.call('ZCOUNT', K_RATE[g.key], windowFrom(now, g.perMs), '+inf') end
  out[#out + 1] = { 'key', g.kind, g.key, g.limit, g.perMs or '', g.used, g.waiting }
end
return out
`;

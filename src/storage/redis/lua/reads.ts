/**
 * Lua bodies of the reads that need more than one key: job details, continuations and the
 * monitoring queries. They write nothing, so each sees one consistent snapshot.
 */

/** ARGV[2] = id. Returns {} or { record, history text, continuation ids }. */
export const GET_JOB = String.raw`
local id = ARGV[2]
local flat = redis.call('HGETALL', jobkey(id))
if #flat == 0 then return {} end
local m = hash(flat)
return { record(id, m), m.hist or '', redis.call('ZRANGE', P .. 'children:' .. id, 0, -1) }
`;

/** ARGV[2..] = parent ids (distinct). Returns the records of their awaiting children (the client sorts by seq). */
export const CONTINUATIONS_OF = String.raw`
local out = {}
for i = 2, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', P .. 'children:' .. ARGV[i], 0, -1)) do
    local m = hash(redis.call('HGETALL', jobkey(id)))
    if m.state == 'awaiting' then out[#out + 1] = record(id, m) end
  end
end
return out
`;

/**
 * ARGV[2] = limit. Walks the awaiting jobs oldest first and returns, for those whose parent is
 * succeeded, deleted or gone: { record, parent state or '', 1/0 has result, result or '' }.
 * The walk is linear in the number of awaiting jobs whose parent is still running, as the
 * reference backend's is.
 */
export const AWAITING_READY = String.raw`
local limit = tonumber(ARGV[2])
local out = {}
local start = 0
while #out < limit do
  local ids = redis.call('ZRANGE', P .. 'state:awaiting', start, start + 199)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    if #out >= limit then break end
    local m = hash(redis.call('HGETALL', jobkey(id)))
    if m.state == 'awaiting' then
      local ready, ps, pr = false, nil, nil
      if not m.parentId then
        ready = true
      else
        local pf = redis.call('HMGET', jobkey(m.parentId), 'state', 'result')
        if not pf[1] then
          ready = true
        elseif pf[1] == 'succeeded' or pf[1] == 'deleted' then
          ready, ps, pr = true, pf[1], pf[2]
        end
      end
      if ready then
        local hasResult = 0
        if pr then hasResult = 1 end
        out[#out + 1] = { record(id, m), ps or '', hasResult, pr or '' }
      end
    end
  end
  start = start + 200
end
return out
`;

/**
 * ARGV[2] = JSON query { s: state, o: offset, l: limit, q?: queue, n?: name, x?: lowercased search }.
 * Returns { total, records } newest first. Without filters (or only a queue, for enqueued jobs)
 * this is a range read of one sorted set; with filters it scans the state's set, as a SQL
 * backend without a matching index would.
 */
export const LIST_JOBS = String.raw`
local q = cjson.decode(ARGV[2])
local offset, limit = tonumber(q.o), tonumber(q.l)
local source = P .. 'state:' .. q.s
local queueFilter = q.q
if q.s == 'enqueued' and q.q then
  source = P .. 'q:' .. q.q
  queueFilter = nil
end
local out = {}
if not queueFilter and not q.n and not q.x then
  local total = redis.call('ZCARD', source)
  if limit > 0 then
    for _, id in ipairs(redis.call('ZREVRANGE', source, offset, offset + limit - 1)) do
      local r = readRecord(id)
      if r then out[#out + 1] = r end
    end
  end
  return { total, out }
end
local total = 0
local start = 0
while true do
  local ids = redis.call('ZREVRANGE', source, start, start + 499)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', jobkey(id), 'queue', 'name', 'ln')
    if f[2] then
      local match = (not queueFilter or f[1] == queueFilter) and (not q.n or f[2] == q.n)
      if match and q.x then
        match = string.sub(id, 1, #q.x) == q.x or string.find(f[3] or string.lower(f[2]), q.x, 1, true) ~= nil
      end
      if match then
        if total >= offset and #out < limit then out[#out + 1] = readRecord(id) end
        total = total + 1
      end
    end
  end
  start = start + 500
end
return { total, out }
`;

/** Returns { counts of the 7 states (STATE_NAMES order, passed as ARGV[2..8]), succeeded, failed, servers, recurring }. */
export const STATISTICS = String.raw`
local out = {}
for i = 2, 8 do out[#out + 1] = redis.call('ZCARD', P .. 'state:' .. ARGV[i]) end
local t = redis.call('HMGET', P .. 'stats', 'succeeded', 'failed')
out[#out + 1] = tonumber(t[1] or '0')
out[#out + 1] = tonumber(t[2] or '0')
out[#out + 1] = redis.call('HLEN', P .. 'servers')
out[#out + 1] = redis.call('SCARD', P .. 'recurring')
return out
`;

/** Returns { queue, enqueued, processing } for every known queue (the client drops empty ones). */
export const QUEUES = String.raw`
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  out[#out + 1] = { q, redis.call('ZCARD', P .. 'q:' .. q), tonumber(redis.call('HGET', P .. 'qproc', q) or '0') }
end
return out
`;

/** Returns { id, runAt } of the earliest scheduled job, or {}. */
export const NEXT_DUE = String.raw`
return redis.call('ZRANGE', P .. 'scheduled', 0, 0, 'WITHSCORES')
`;

/** ARGV[2..] = fields of the `hours` hash. Returns their values ('' for none), in order. */
export const TIMELINE = String.raw`
local out = {}
local i = 2
while i <= #ARGV do
  local j = math.min(i + 999, #ARGV)
  for _, v in ipairs(redis.call('HMGET', P .. 'hours', unpack(ARGV, i, j))) do
    out[#out + 1] = v or ''
  end
  i = j + 1
end
return out
`;

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
return { record(m), m.hist or '', redis.call('ZRANGE', P .. 'children:' .. id, 0, -1) }
`;

/** ARGV[2..] = parent ids (distinct). Returns the records of their awaiting children (the client sorts by seq). */
export const CONTINUATIONS_OF = String.raw`
local out = {}
for i = 2, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', P .. 'children:' .. ARGV[i], 0, -1)) do
    local m = hash(redis.call('HGETALL', jobkey(id)))
    if m.state == 'awaiting' then out[#out + 1] = record(m) end
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
    local parentId = redis.call('HGET', jobkey(id), 'parentId')
    local ready, ps, pr = false, nil, nil
    if not parentId then
      ready = true
    else
      local pf = redis.call('HMGET', jobkey(parentId), 'state', 'result')
      if not pf[1] then
        ready = true
      elseif pf[1] == 'succeeded' or pf[1] == 'deleted' then
        ready, ps, pr = true, pf[1], pf[2]
      end
    end
    if ready then
      local r = readRecord(id)
      if r then
        local hasResult = 0
        if pr then hasResult = 1 end
        out[#out + 1] = { r, ps or '', hasResult, pr or '' }
      end
    end
  end
  start = start + 200
end
return out
`;

/**
 * ARGV[2] = JSON query { s: state, o: offset, l: limit, q?: queue, n?: name, x?: lowercased
 * search, r?: retries only (attempt above 1), c: scan cap }. Returns { total, records } newest (highest seq) first.
 *
 * Unfiltered pages are range reads: of `state:<state>`, of one queue's set for enqueued jobs of a
 * queue, or, for all enqueued jobs, of the top offset+limit of every queue merged. Filtered ones
 * scan the state's jobs newest first, as a SQL backend without a matching index would, but at
 * most the newest `c` of them: a script blocks Redis for every client, and a dashboard search
 * must not stall the workers for seconds. Processing jobs (few: at most the running workers'
 * slots) are sorted by seq in the script.
 */
export const LIST_JOBS = String.raw`
local q = cjson.decode(ARGV[2])
local offset, limit, cap = tonumber(q.o), tonumber(q.l), tonumber(q.c)
local filtered = q.q or q.n or q.x or q.r

local function matches(id)
  local f = redis.call('HMGET', jobkey(id), 'queue', 'name', 'ln', 'attempt')
  if not f[2] then return false end
  if q.q and f[1] ~= q.q then return false end
  if q.n and f[2] ~= q.n then return false end
  if q.r and tonumber(f[4] or '1') <= 1 then return false end
  if q.x then
    return string.sub(id, 1, #q.x) == q.x or string.find(f[3] or string.lower(f[2]), q.x, 1, true) ~= nil
  end
  return true
end

-- A page of ids already in newest-first order, filtered.
local function pageOf(ids)
  local total, out = 0, {}
  for _, id in ipairs(ids) do
    if matches(id) then
      if total >= offset and #out < limit then out[#out + 1] = readRecord(id) end
      total = total + 1
    end
  end
  return { total, out }
end

-- A page of a sorted set scored by seq: a range read, or a scan in slices when filtered.
local function pageOfSet(key, useFilters)
  local out = {}
  if not useFilters then
    if limit > 0 then
      for _, id in ipairs(redis.call('ZREVRANGE', key, offset, offset + limit - 1)) do
        local r = readRecord(id)
        if r then out[#out + 1] = r end
      end
    end
    return { redis.call('ZCARD', key), out }
  end
  local total = 0
  local start = 0
  while start < cap do
    local ids = redis.call('ZREVRANGE', key, start, math.min(start + 499, cap - 1))
    if #ids == 0 then break end
    for _, id in ipairs(ids) do
      if matches(id) then
        if total >= offset and #out < limit then out[#out + 1] = readRecord(id) end
        total = total + 1
      end
    end
    start = start + 500
  end
  return { total, out }
end

-- { seq, id } pairs to ids, newest first.
local function newestFirst(list)
  table.sort(list, function(a, b) return a[1] > b[1] end)
  local ids = {}
  for i, p in ipairs(list) do ids[i] = p[2] end
  return ids
end

if q.s == 'enqueued' then
  if q.q then return pageOfSet(P .. 'q:' .. q.q, q.n or q.x) end
  local all = {}
  if not filtered then
    local total = 0
    for _, name in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
      total = total + redis.call('ZCARD', P .. 'q:' .. name)
      if limit > 0 then
        local top = redis.call('ZREVRANGE', P .. 'q:' .. name, 0, offset + limit - 1, 'WITHSCORES')
        for i = 1, #top, 2 do all[#all + 1] = { tonumber(top[i + 1]), top[i] } end
      end
    end
    local ids = newestFirst(all)
    local out = {}
    for i = offset + 1, math.min(offset + limit, #ids) do
      local r = readRecord(ids[i])
      if r then out[#out + 1] = r end
    end
    return { total, out }
  end
  for _, name in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
    local members = redis.call('ZREVRANGE', P .. 'q:' .. name, 0, cap - 1, 'WITHSCORES')
    for i = 1, #members, 2 do all[#all + 1] = { tonumber(members[i + 1]), members[i] } end
  end
  local ids = newestFirst(all)
  for i = #ids, cap + 1, -1 do ids[i] = nil end
  return pageOf(ids)
end

if q.s == 'processing' then
  local all = {}
  for _, id in ipairs(redis.call('ZRANGE', P .. 'processing', 0, -1)) do
    local seq = redis.call('HGET', jobkey(id), 'seq')
    if seq then all[#all + 1] = { tonumber(seq), id } end
  end
  return pageOf(newestFirst(all))
end

return pageOfSet(P .. 'state:' .. q.s, filtered)
`;

/**
 * ARGV[2..8] = the state names (STATE_NAMES order). Returns { a count per state, succeeded total,
 * failed total, servers, recurring }. Enqueued jobs are counted over the queues' sets.
 */
export const STATISTICS = String.raw`
local out = {}
for i = 2, 8 do
  local s = ARGV[i]
  if s == 'enqueued' then
    local n = 0
    for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do n = n + redis.call('ZCARD', P .. 'q:' .. q) end
    out[#out + 1] = n
  elseif s == 'processing' then
    out[#out + 1] = redis.call('ZCARD', P .. 'processing')
  else
    out[#out + 1] = redis.call('ZCARD', P .. 'state:' .. s)
  end
end
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

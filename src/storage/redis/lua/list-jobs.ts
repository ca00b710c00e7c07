/**
 * ARGV[2] = JSON query { s: state, o: offset, l: limit, q?: queue, n?: name, x?: lowercased
 * search, r?: retries only (attempt above 1), c: scan cap }. Returns { total, records } newest (highest seq) first; enqueued jobs
 * last-to-be-claimed first (their sets' scores: seq, or with priorities their claim order).
 *
 * Unfiltered pages are range reads: of `state:<state>`, of one queue's set for enqueued jobs of a
 * queue, or, for all enqueued jobs (or a queue that also has a set of limited jobs), of the top
 * offset+limit of every set merged. Filtered ones
 * scan the state's jobs newest first, as a SQL backend without a matching index would, but at
 * most the newest `c` of them: a script blocks Redis for every client, and a dashboard search
 * must not stall the workers for seconds. Processing jobs (few: at most the running workers'
 * slots) are sorted by seq in the script. Scheduled retries have an index of their own
 * (`retries`), so the dashboard's Retries page is a range read too.
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

-- Adds the matches among ids (newest first) to a page { total, records }: every match counts,
-- the records kept are those of the requested offset and limit.
local function addMatches(page, ids)
  local out = page[2]
  for _, id in ipairs(ids) do
    if matches(id) then
      if page[1] >= offset and #out < limit then out[#out + 1] = readRecord(id) end
      page[1] = page[1] + 1
    end
  end
  return page
end

-- A page of ids already in newest-first order, filtered.
local function pageOf(ids)
  return addMatches({ 0, {} }, ids)
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
  local page = { 0, out }
  local start = 0
  while start < cap do
    local ids = redis.call('ZREVRANGE', key, start, math.min(start + 499, cap - 1))
    if #ids == 0 then break end
    addMatches(page, ids)
    start = start + 500
  end
  return page
end

-- { seq, id } pairs to ids, newest first.
local function newestFirst(list)
  table.sort(list, function(a, b) return a[1] > b[1] end)
  local ids = {}
  for i, p in ipairs(list) do ids[i] = p[2] end
  return ids
end

if q.s == 'enqueued' then
  -- Each queue's plain set, and its limited set when it has one; scores are claim order.
  local names, useFilters = { q.q }, q.n or q.x
  if not q.q then names, useFilters = redis.call('SMEMBERS', P .. 'queues'), filtered end
  local sets = {}
  for _, name in ipairs(names) do
    sets[#sets + 1] = K_QUEUE[name]
    if redis.call('EXISTS', K_LIMITED[name]) == 1 then sets[#sets + 1] = K_LIMITED[name] end
  end
  if #sets == 1 then return pageOfSet(sets[1], useFilters) end
  local all = {}
  if not useFilters then
    local total = 0
    for _, key in ipairs(sets) do
      total = total + redis.call('ZCARD', key)
      if limit > 0 then
        local top = redis.call('ZREVRANGE', key, 0, offset + limit - 1, 'WITHSCORES')
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
  for _, key in ipairs(sets) do
    local members = redis.call('ZREVRANGE', key, 0, cap - 1, 'WITHSCORES')
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

if q.s == 'scheduled' and q.r then return pageOfSet(P .. 'retries', q.q or q.n or q.x) end

return pageOfSet(P .. 'state:' .. q.s, filtered)
`;

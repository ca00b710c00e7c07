/**
 * Lua of job events, part of the shared library (`library.ts` pastes it in before `flush()`).
 *
 * Every script that writes asks `hears()` before it builds an event: one `EXISTS` of the
 * announcement key `listening` per call (see `../events.ts`), and nothing more when it is absent.
 * When it exists, the script builds each event as `src/storage/job-events.ts` does and as
 * `encodeJobEvent` writes it (the same members in the same order, strings escaped as
 * `JSON.stringify` escapes them, texts cut to the same number of UTF-16 code units), and
 * `publishJobEvents()` (called by `flush()`) sends the call's events as one message on
 * `<tag>:job-events`, joined by newlines (JSON text has none), so they leave in script order.
 *
 * Values are pasted as the JSON texts Redis holds (a result, a progress value), never
 * re-encoded; numbers are pasted as the decimal texts the caller sent where the script has them,
 * else written from the decoded history entry. Differences from the TypeScript builders, all
 * for values no engine writes: a result that is not JSON text cjson can read, or that holds a
 * line break, is left out (`resultOmitted`); a job name holding a lone surrogate arrives with
 * U+FFFD in its place.
 */
export const JOB_EVENT_LIBRARY = String.raw`
local JOB_EVENT_CHANNEL = string.sub(P, 2, -3) .. ':job-events'
local listening = nil
local jobEvents = {}

-- Whether some listener's announcement is live: read once per call, only by a call with events.
local function hears()
  if listening == nil then listening = redis.call('EXISTS', P .. 'listening') == 1 end
  return listening
end

local ESCAPES = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function escape(c) return ESCAPES[c] or string.format('\\u%04x', string.byte(c)) end

-- A string as JSON.stringify writes it; names, queues and ids repeat within a call, so each is
-- escaped once.
local jsonOf = {}
local function jstr(s)
  local j = jsonOf[s]
  if not j then
    j = '"' .. (string.gsub(s, '[%z\1-\31"\\]', escape)) .. '"'
    jsonOf[s] = j
  end
  return j
end

-- A text cut as job-events.ts cuts it: more than max UTF-16 code units become the first max - 1
-- and '…' (a surrogate pair split by the cut leaves its high half, escaped as JSON.stringify does).
local function jcut(s, max)
  if #s <= max then return jstr(s) end
  local i, n, units, keep = 1, #s, 0, max - 1
  local stop, high = nil, nil
  while i <= n do
    local c = string.byte(s, i)
    local len, u = 1, 1
    if c >= 240 then len, u = 4, 2 elseif c >= 224 then len = 3 elseif c >= 192 then len = 2 end
    if stop == nil and units + u > keep then
      stop = i - 1
      if u == 2 and units + 1 == keep then high = i end
    end
    units = units + u
    if units > max then break end
    i = i + len
  end
  if units <= max then return jstr(s) end
  local tail = ''
  if high then
    local c1, c2, c3, c4 = string.byte(s, high, high + 3)
    local cp = (c1 - 240) * 262144 + ((c2 or 128) - 128) * 4096 + ((c3 or 128) - 128) * 64 + ((c4 or 128) - 128)
    tail = string.format('\\u%04x', 55296 + math.floor((cp - 65536) / 1024))
  end
  return string.sub(jstr(string.sub(s, 1, stop)), 1, -2) .. tail .. '…"'
end

local function jtext(s, max)
  if type(s) ~= 'string' then return 'null' end
  return jcut(s, max)
end

-- A decoded number as JavaScript writes it (integers exactly; the engine's times are integers).
local function jnum(x)
  if type(x) ~= 'number' then return 'null' end
  if x == math.floor(x) and x > -1e15 and x < 1e15 then return string.format('%d', x) end
  return string.format('%.17g', x)
end

-- A JSON object text decoded, or an empty table when cjson cannot read it. A batch of
-- completions often repeats one history entry: each text is decoded once per call.
local decodedOf = {}
local function decoded(text)
  local v = decodedOf[text]
  if v then return v end
  local ok, d = pcall(cjson.decode, text)
  if ok and type(d) == 'table' then v = d else v = {} end
  decodedOf[text] = v
  return v
end

local function readable(text)
  return (pcall(cjson.decode, text))
end

-- What every event says: type, jobId, name, queue, attempt, at (attempt and at as JSON numbers).
local function eventHead(t, id, name, queue, attempt, at)
  return '{"type":"' .. t .. '","jobId":' .. jstr(id) .. ',"name":' .. jstr(name or '') .. ',"queue":' .. jstr(queue or '')
    .. ',"attempt":' .. (attempt or '1') .. ',"at":' .. at
end

local function emit(event) jobEvents[#jobEvents + 1] = event end

-- 'enqueued' (created, requeued, due, recovered). at is a decimal text.
local function enqueuedEvent(id, name, queue, attempt, reason, at)
  emit(eventHead('enqueued', id, name, queue, attempt, at) .. ',"reason":' .. jtext(reason, 400) .. '}')
end

-- 'started': the job was claimed by serverId. at is a decimal text.
local function startedEvent(id, name, queue, attempt, serverId, at)
  emit(eventHead('started', id, name, queue, attempt, at) .. ',"serverId":' .. jcut(serverId, 100) .. '}')
end

-- 'progress': value is the JSON text of the reported progress.
local function progressEvent(id, name, queue, attempt, value, at)
  local h = eventHead('progress', id, name, queue, attempt, at)
  if #value <= 1500 then emit(h .. ',"progress":' .. value .. ',"progressOmitted":false}')
  else emit(h .. ',"progressOmitted":true}') end
end

-- The events of one applied transition change, as changeEvents in job-events.ts: name, queue and
-- attempt are the job's before the change; history is the change's entries (JSON joined by
-- newlines, the target's last); newQueue / newAttempt / runAt / result as the change gives them.
local function changeEvents(id, name, queue, attempt, history, to, newQueue, newAttempt, runAt, result)
  local entries = {}
  for text in string.gmatch(history, '[^\n]+') do entries[#entries + 1] = decoded(text) end
  local last = entries[#entries] or {}
  local failure = nil
  if to == 'failed' then
    failure = last
  else
    for k = 1, #entries - 1 do
      if entries[k].name == 'failed' then failure = entries[k]; break end
    end
  end
  local q = newQueue or queue
  if failure then
    local data = type(failure.data) == 'table' and failure.data or {}
    local etype = type(data.type) == 'string' and data.type or 'Error'
    local message = type(data.error) == 'string' and data.error or (type(failure.reason) == 'string' and failure.reason or '')
    emit(eventHead('failed', id, name, q, attempt, jnum(failure.at)) .. ',"reason":' .. jtext(failure.reason, 400)
      .. ',"error":{"type":' .. jcut(etype, 100) .. ',"message":' .. jcut(message, 400) .. '},"willRetry":'
      .. (to == 'scheduled' and 'true' or 'false') .. '}')
  end
  local a = newAttempt or attempt
  local at = jnum(last.at)
  if to == 'enqueued' then
    enqueuedEvent(id, name, q, a, last.reason, at)
  elseif to == 'processing' then
    local sv = type(last.data) == 'table' and last.data.serverId
    startedEvent(id, name, q, a, type(sv) == 'string' and sv or '', at)
  elseif to == 'succeeded' then
    local h = eventHead('succeeded', id, name, q, a, at)
    if result and #result <= 1500 and not string.find(result, '[\r\n]') and readable(result) then
      emit(h .. ',"result":' .. result .. ',"resultOmitted":false}')
    else
      emit(h .. ',"resultOmitted":' .. (result and 'true' or 'false') .. '}')
    end
  elseif to == 'scheduled' then
    if failure then
      if not runAt or runAt == '' then runAt = at end
      emit(eventHead('retrying', id, name, q, a, at) .. ',"runAt":' .. runAt .. ',"reason":' .. jtext(last.reason, 400) .. '}')
    end
  elseif to == 'deleted' then
    emit(eventHead('deleted', id, name, q, a, at) .. ',"reason":' .. jtext(last.reason, 400) .. '}')
  end
end

-- Sends the call's events, in order, as one message. flush() calls it.
local function publishJobEvents()
  if #jobEvents == 0 then return end
  redis.call('PUBLISH', JOB_EVENT_CHANNEL, table.concat(jobEvents, '\n'))
  jobEvents = {}
end
`;

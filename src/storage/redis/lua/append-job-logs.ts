/**
 * ARGV[2] = maxLines, then per job: id, skipped, n, and its n lines (JSON texts). Appends each
 * existing job's lines to its `log:<id>` list, raises its `logs` field (the newest line's seq) by
 * skipped + n, empties the list first when lines were skipped, and keeps its newest maxLines.
 * A job that does not exist is passed over.
 */
export const APPEND_JOB_LOGS = String.raw`
local max = tonumber(ARGV[2])
local i = 3
while i <= #ARGV do
  local id, skipped, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local key = jobkey(id)
  if redis.call('EXISTS', key) == 1 then
    local log = P .. 'log:' .. id
    if skipped > 0 then redis.call('DEL', log) end
    redis.call('HINCRBY', key, 'logs', skipped + n)
    if n > 0 and max > 0 then
      local lines = {}
      for k = 1, n do lines[k] = ARGV[i + 2 + k] end
      many('RPUSH', log, lines)
      redis.call('LTRIM', log, -max, -1)
    elseif max <= 0 then
      redis.call('DEL', log)
    end
  end
  i = i + 3 + n
end
return 1
`;

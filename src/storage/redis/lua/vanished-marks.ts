/**
 * ARGV[2] = the checking server's id (never judged), [3] = the prefix of the liveness channels
 * (`<tag>:alive:`). Reads the mark records and returns `id, token` pairs of those whose channel
 * has no subscriber: their holder's connection is gone. Writes nothing.
 */
export const VANISHED_MARKS = String.raw`
local marks = redis.call('HGETALL', P .. 'marks')
local out = {}
for i = 1, #marks, 2 do
  local id = marks[i]
  if id ~= ARGV[2] then
    local subs = redis.call('PUBSUB', 'NUMSUB', ARGV[3] .. id)
    if tonumber(subs[2]) == 0 then
      out[#out + 1] = id
      out[#out + 1] = marks[i + 1]
    end
  end
end
return out
`;

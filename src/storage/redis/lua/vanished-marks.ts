/**
 * ARGV[2] = the checking server's id (never judged), [3] = the prefix of the liveness channels
 * (`<tag>:alive:`). Reads the mark records and returns `id, token` pairs of those whose channel
 * has no subscriber: their holder's connection is gone. Writes nothing; one PUBSUB NUMSUB for all.
 */
export const VANISHED_MARKS = String.raw`
local marks = redis.call('HGETALL', P .. 'marks')
local ids, tokens, channels = {}, {}, {}
for i = 1, #marks, 2 do
  if marks[i] ~= ARGV[2] then
    ids[#ids + 1] = marks[i]
    tokens[#tokens + 1] = marks[i + 1]
    channels[#channels + 1] = ARGV[3] .. marks[i]
  end
end
local out = {}
for s = 1, #channels, 500 do
  local counts = redis.call('PUBSUB', 'NUMSUB', unpack(channels, s, math.min(s + 499, #channels)))
  for k = 2, #counts, 2 do
    if tonumber(counts[k]) == 0 then
      local i = s + k / 2 - 1
      out[#out + 1] = ids[i]
      out[#out + 1] = tokens[i]
    end
  end
end
return out
`;

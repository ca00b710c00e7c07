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

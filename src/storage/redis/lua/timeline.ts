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

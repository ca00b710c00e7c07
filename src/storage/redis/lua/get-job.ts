/** ARGV[2] = id. Returns {} or { record, history text, continuation ids }. */
export const GET_JOB = String.raw`
local id = ARGV[2]
local flat = redis.call('HGETALL', jobkey(id))
if #flat == 0 then return {} end
local m = hash(flat)
return { record(m), m.hist or '', redis.call('ZRANGE', P .. 'children:' .. id, 0, -1) }
`;

/**
 * ARGV[2] = id, [3] = serverId, [4] = parameters (JSON object of JSON texts). 1 if merged, 0 if
 * the server no longer holds the job.
 */
export const MERGE_PARAMETERS = String.raw`
local key = jobkey(ARGV[2])
local f = redis.call('HMGET', key, 'state', 'serverId', 'params')
if f[1] ~= 'processing' or f[2] ~= ARGV[3] then return 0 end
redis.call('HSET', key, 'params', mergeParameters(f[3], cjson.decode(ARGV[4])))
return 1
`;

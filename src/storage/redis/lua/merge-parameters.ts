/**
 * ARGV[2] = id, [3] = serverId, [4] = parameters (JSON object of JSON texts), [5] = now. 1 if
 * merged, 0 if the server no longer holds the job. Parameters holding `progress` publish a
 * `progress` event while someone listens.
 */
export const MERGE_PARAMETERS = String.raw`
local key = jobkey(ARGV[2])
local f = redis.call('HMGET', key, 'state', 'serverId', 'params')
if f[1] ~= 'processing' or f[2] ~= ARGV[3] then return 0 end
local added = cjson.decode(ARGV[4])
redis.call('HSET', key, 'params', mergeParameters(f[3], added))
if type(added.progress) == 'string' and hears() then
  local j = redis.call('HMGET', key, 'name', 'queue', 'attempt')
  progressEvent(ARGV[2], j[1], j[2], j[3], added.progress, ARGV[5])
  publishJobEvents()
end
return 1
`;

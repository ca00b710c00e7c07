import { SERVER_REMOVAL } from './server-removal.js';

/**
 * ARGV[2] = now, [3] = server id, [4] = the token its mark record held when it was found
 * vanished, [5] = its liveness channel, [6] = the history reason. Compare-and-set: when the
 * record still holds that token and the channel still has no subscriber, deletes the record,
 * removes the server and requeues its processing jobs as removeServer does. Returns 1 / 0.
 */
export const REMOVE_VANISHED = SERVER_REMOVAL + String.raw`
local id = ARGV[3]
if redis.call('HGET', P .. 'marks', id) ~= ARGV[4] then return 0 end
if tonumber(redis.call('PUBSUB', 'NUMSUB', ARGV[5])[2]) > 0 then return 0 end
redis.call('HDEL', P .. 'marks', id)
local reason = ARGV[6]
dropServers({ id }, ARGV[2], function() return reason end)
flush()
return 1
`;

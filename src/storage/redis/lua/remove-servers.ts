import { SERVER_REMOVAL } from './server-removal.js';

/**
 * ARGV[2] = now, [3] = 'ids' then [4..] = server ids, or [3] = 'before' then [4] = a time:
 * removes those servers (or the ones whose last heartbeat is older than the time) and requeues
 * the processing jobs they held. Returns the removed ids.
 */
export const REMOVE_SERVERS = SERVER_REMOVAL + String.raw`
local now = ARGV[2]
local ids
if ARGV[3] == 'before' then
  ids = redis.call('ZRANGEBYSCORE', P .. 'heartbeats', '-inf', '(' .. ARGV[4])
else
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end
dropServers(ids, now, function(sv) return 'Server ' .. sv .. ' stopped or timed out' end)
flush()
return ids
`;

/**
 * Lua that the scripts removing servers share (pasted before their body, after the library):
 * `dropServers` removes server records and requeues the processing jobs they held, as
 * removeServer, removeDeadServers and removeVanishedServers all do.
 */
export const SERVER_REMOVAL = String.raw`
-- Removes servers (their records and heartbeats) and requeues every processing job one of them
-- held, counted as an interruption, with reason(serverId) as its history reason: what
-- removeServer, removeDeadServers and removeVanishedServers share.
local function dropServers(ids, now, reason)
  local gone, any = {}, false
  for _, id in ipairs(ids) do
    redis.call('HDEL', P .. 'servers', id)
    redis.call('ZREM', P .. 'heartbeats', id)
    gone[id] = true
    any = true
  end
  if not any then return end
  for _, jid in ipairs(redis.call('ZRANGE', K_PROCESSING, 0, -1)) do
    local sv = redis.call('HGET', jobkey(jid), 'serverId')
    if sv and gone[sv] then requeue(jid, 'processing', reason(sv), now, true) end
  end
end
`;

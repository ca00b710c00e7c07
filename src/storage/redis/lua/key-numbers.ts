/**
 * Lua of the numbers of concurrency keys, part of the shared library (`library.ts` pastes it in
 * before `flush()`). A processing job that carries a concurrency key is a member of `kproc` scored
 * with its key's number, so a key's running jobs are one ZCOUNT (see `../keys.ts`). The number is
 * made at the key's first claim (`keyId`) and forgotten when its last processing job leaves
 * `kproc` (`flush()` calls `kprocNumbers` before and `forgetIdleKeys` after its kproc writes), so
 * keys no longer used (tenants gone) leave nothing in `kids` or `knames`; a key that runs again
 * is numbered again.
 */
export const KEY_NUMBERS = String.raw`
local keyIds = {}

-- The number standing for concurrency key ck in kproc's scores (false if it has none yet), made
-- when create is set.
local function keyId(ck, create)
  local k = keyIds[ck]
  if k == nil then
    k = redis.call('HGET', K_KEY_IDS, ck) or false
    keyIds[ck] = k
  end
  if not k and create then
    k = redis.call('INCR', P .. 'kids:seq')
    redis.call('HSET', K_KEY_IDS, ck, k)
    redis.call('HSET', K_KEY_NAMES, k, ck)
    keyIds[ck] = k
  end
  return k
end

-- The numbers (kproc scores) of the concurrency keys of processing jobs about to leave kproc.
local function kprocNumbers(ids)
  local numbers = {}
  for _, id in ipairs(ids) do
    local k = redis.call('ZSCORE', K_KPROC, id)
    if k then numbers[k] = true end
  end
  return numbers
end

-- Forgets the numbers of the concurrency keys left with no processing job, so a key no longer
-- used (a tenant gone) leaves nothing in kids; its next claim numbers it again. Run after the
-- call's kproc writes, when a count of 0 is the truth.
local function forgetIdleKeys(numbers)
  for k in pairs(numbers) do
    if redis.call('ZCOUNT', K_KPROC, k, k) == 0 then
      local name = redis.call('HGET', K_KEY_NAMES, k)
      if name then
        redis.call('HDEL', K_KEY_IDS, name)
        redis.call('HDEL', K_KEY_NAMES, k)
      end
    end
  end
end
`;

-- rebuild-stock: set a SKU's counter from the MongoDB ledger balance.
-- KEYS[1]  stock counter hash
-- ARGV[1]  sellable balance summed from the ledger
-- ARGV[2]  a fresh epoch
-- ARGV[3]  'create' (only if the counter is missing) or 'resync'
-- ARGV[4]  for resync: the `available` value read before the ledger was summed
-- Returns 1 if written, 0 if not.
-- Resync only replaces a counter that no placement is between reserving and settling
-- (inflight = 0) and that did not move while the ledger was read, so the new value is exact.
-- An in-flight count untouched for 2 minutes is a placement that died before settling (a
-- crashed process): it no longer blocks the resync, or the under-selling would never heal.
local mode = ARGV[3]
if mode == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    return 0
  end
else
  local inflight = tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0')
  local since = tonumber(redis.call('HGET', KEYS[1], 'inflight_at') or '0')
  local stale = tonumber(redis.call('TIME')[1]) - since > 120
  local available = redis.call('HGET', KEYS[1], 'available')
  if (inflight ~= 0 and not stale) or available ~= ARGV[4] then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'available', ARGV[1], 'epoch', ARGV[2], 'inflight', 0)
return 1

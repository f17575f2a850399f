-- release-stock: give an order's units back (expired, cancelled, refused after reserving).
-- KEYS[1]      marker that this release happened (so a retried release counts once)
-- KEYS[2..n]   stock counter hashes
-- ARGV[1]      seconds to keep the marker
-- ARGV[2..]    pairs per line: quantity, epoch it was reserved under
-- A counter whose epoch differs was rebuilt from the MongoDB ledger after the reservation;
-- it is left alone (it may already count this release), so a release can only under-sell
-- until the next resync, never oversell (invariants 2 and 3).
-- Returns the number of counters incremented, or -1 if this release already happened.
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) == false then
  return -1
end
local changed = 0
for i = 2, #KEYS do
  local quantity = tonumber(ARGV[2 * (i - 1)])
  local epoch = ARGV[2 * (i - 1) + 1]
  if redis.call('HGET', KEYS[i], 'epoch') == epoch then
    redis.call('HINCRBY', KEYS[i], 'available', quantity)
    changed = changed + 1
  end
end
return changed

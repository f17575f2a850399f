-- settle-stock: a placement's MongoDB write has finished; it is no longer in flight.
-- KEYS[1..n]  stock counter hashes
-- ARGV[1..n]  the epoch each line was reserved under
-- Returns one flag per line: 1 if the counter still has that epoch (the reservation is in it),
-- 0 if the counter was rebuilt meanwhile (the caller must reserve again against the new one).
local result = {}
for i = 1, #KEYS do
  local epoch = redis.call('HGET', KEYS[i], 'epoch')
  if epoch == ARGV[i] then
    redis.call('HINCRBY', KEYS[i], 'inflight', -1)
    result[i] = 1
  else
    result[i] = 0
  end
end
return result

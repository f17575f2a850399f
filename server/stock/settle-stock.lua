-- settle-stock: placements' MongoDB writes have finished; they are no longer in flight.
-- KEYS[1]      the in-flight hash of the process that placed them
-- KEYS[2..n]   stock counter hashes, one per line of every placement, in order
-- ARGV[1]      number of placements P
-- ARGV[2..P+1] order number of each placement
-- ARGV[P+2..]  per placement: its line count, then the epoch each line was reserved under
-- Returns one flag per line: 1 if the reservation is still counted (the counter kept its epoch
-- and no one abandoned the placement meanwhile), 0 if it is not (the counter was rebuilt, or the
-- placement was given up as its owner's lease ran out): the caller must reserve again.
local placements = tonumber(ARGV[1])
local result = {}
local arg = placements + 2
local key = 2
for p = 1, placements do
  local lines = tonumber(ARGV[arg])
  arg = arg + 1
  local mine = redis.call('HDEL', KEYS[1], ARGV[p + 1]) == 1
  for _ = 1, lines do
    if mine and redis.call('HGET', KEYS[key], 'epoch') == ARGV[arg] then
      redis.call('HINCRBY', KEYS[key], 'inflight', -1)
      result[#result + 1] = 1
    else
      result[#result + 1] = 0
    end
    arg = arg + 1
    key = key + 1
  end
end
return result

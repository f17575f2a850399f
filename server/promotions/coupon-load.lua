-- coupon-load: puts a coupon's counters back in Redis from MongoDB (first use after a drop, or
-- after a Redis wipe). Invariant: never overwrites counters that exist, so claims decided in
-- Redis meanwhile are not forgotten; two loaders racing leave the first one's counters.
-- KEYS[1]  the coupon's hash   KEYS[2] the free slots list   KEYS[3] the claims hash
-- ARGV[1]  state (open | closed)   ARGV[2] seconds to keep the keys   ARGV[3] free slot count n
-- ARGV[4 .. 3+n] free slots, then pairs of buyerId, claim value
-- Returns 1 if loaded, 0 if the counters were already there.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = tonumber(ARGV[3])
redis.call('DEL', KEYS[2], KEYS[3])
for i = 4, 3 + n, 500 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 499, 3 + n)))
end
for i = 4 + n, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'state', ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('EXPIRE', KEYS[1], ttl)
if n > 0 then redis.call('EXPIRE', KEYS[2], ttl) end
if #ARGV >= 4 + n then redis.call('EXPIRE', KEYS[3], ttl) end
return 1

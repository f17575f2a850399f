-- coupon-release: a coupon comes back from an order that no longer uses it (the order expired or
-- was cancelled unpaid, or the buyer took the coupon off). Invariant: only the order that holds
-- the claim can give it back, so a late release never frees a claim another order now uses.
-- KEYS[1]  the claims hash {buyerId → slot number | 'u:' .. orderNo}
-- ARGV[1]  buyer id   ARGV[2] order number   ARGV[3] the claim's slot number
-- Returns 1 if it came back, 0 if that order did not hold it.
if redis.call('HGET', KEYS[1], ARGV[1]) ~= 'u:' .. ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1

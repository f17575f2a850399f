-- coupon-claim: one buyer takes one of a live coupon's numbered slots. Invariant: never more
-- claims than the coupon's total, and at most one per buyer, however many buyers tap at once
-- on however many web processes (MongoDB's unique slot index backs this after a Redis wipe).
-- KEYS[1]  the coupon's hash {state: open | closed}
-- KEYS[2]  the list of free slot numbers
-- KEYS[3]  the claims hash {buyerId → slot number | 'u:' .. orderNo while an order uses it}
-- ARGV[1]  buyer id
-- Returns {'missing'} | {'closed'} | {'already', value} | {'gone'} | {'ok', slot}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return {'closed'} end
local mine = redis.call('HGET', KEYS[3], ARGV[1])
if mine then return {'already', mine} end
local slot = redis.call('LPOP', KEYS[2])
if not slot then return {'gone'} end
redis.call('HSET', KEYS[3], ARGV[1], slot)
-- The claims hash lives as long as the coupon's own hash (it may be the first claim).
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 and redis.call('TTL', KEYS[3]) < 0 then redis.call('EXPIRE', KEYS[3], ttl) end
return {'ok', slot}

-- coupon-use: a buyer's claimed coupon goes to one unpaid order. Invariant: a claim is used by
-- at most one order at a time; asking again for the same order is answered the same.
-- KEYS[1]  the claims hash {buyerId → slot number | 'u:' .. orderNo}
-- ARGV[1]  buyer id   ARGV[2] order number
-- Returns {'not_claimed'} | {'used', otherOrderNo} | {'ok'}
local mine = redis.call('HGET', KEYS[1], ARGV[1])
if not mine then return {'not_claimed'} end
local used = 'u:' .. ARGV[2]
if mine == used then return {'ok'} end
if string.sub(mine, 1, 2) == 'u:' then return {'used', string.sub(mine, 3)} end
redis.call('HSET', KEYS[1], ARGV[1], used)
return {'ok'}

-- live-hold-expire: a waitlisted buyer did not use their hold in time: the units go to the
-- next buyer on the waitlist, or back to the offer's remaining count.
-- KEYS[1]  the expired buyer's hold key   KEYS[2] the offer's hash   KEYS[3] the waitlist
-- ARGV[1]  hold key prefix   ARGV[2] hold seconds
-- Returns {'none'} | {'returned'} | {'held', buyerId, quantity}
local quantity = redis.call('GET', KEYS[1])
if not quantity then return {'none'} end
redis.call('DEL', KEYS[1])
local next = redis.call('LPOP', KEYS[3])
if next then
  redis.call('SET', ARGV[1] .. next, quantity, 'EX', tonumber(ARGV[2]) * 10)
  return {'held', next, quantity}
end
redis.call('HINCRBY', KEYS[2], 'remaining', tonumber(quantity))
return {'returned'}

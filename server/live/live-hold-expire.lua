-- live-hold-expire: a waitlisted buyer did not use their hold in time: the units go to the
-- next buyer on the waitlist, or back to the offer's remaining count.
-- Invariant: remaining + held + sold = allotment. Passed over: a buyer who holds units already
-- (a second hold would replace the first) and the buyer whose hold lapsed, if they joined again.
-- KEYS[1]  the expired buyer's hold key   KEYS[2] the offer's hash   KEYS[3] the waitlist
-- KEYS[4]  the waitset (the buyers on the waitlist, so a buyer joins once)
-- ARGV[1]  hold key prefix   ARGV[2] hold seconds
-- Returns {'none'} | {'returned'} | {'held', buyerId, quantity}
local quantity = redis.call('GET', KEYS[1])
if not quantity then return {'none'} end
redis.call('DEL', KEYS[1])
local next = redis.call('LPOP', KEYS[3])
while next do
  redis.call('SREM', KEYS[4], next)
  local holdKey = ARGV[1] .. next
  if holdKey ~= KEYS[1] and redis.call('SET', holdKey, quantity, 'NX', 'EX', tonumber(ARGV[2]) * 10) then
    return {'held', next, quantity}
  end
  next = redis.call('LPOP', KEYS[3])
end
redis.call('HINCRBY', KEYS[2], 'remaining', tonumber(quantity))
return {'returned'}

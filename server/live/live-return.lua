-- live-return: units of a live order come back (expired or cancelled before payment). They go
-- to the first buyer on the waitlist as a short hold, or back to the offer's remaining count.
-- Invariant: remaining + held + sold = allotment. A buyer holds one hold at a time: one who
-- joined the waitlist again while holding is passed over (a second hold would replace the first
-- and lose its units).
-- KEYS[1]  marker that this return happened (a retried return counts once)
-- KEYS[2]  the offer's hash          KEYS[3] the offer's per-buyer hash
-- KEYS[4]  the offer's waitlist (a list of buyer ids, oldest first)
-- KEYS[5]  the offer's waitset (the same buyers, so a buyer joins once)
-- ARGV[1]  buyer id of the order     ARGV[2] quantity
-- ARGV[3]  hold key prefix (the hold key is prefix .. waitlisted buyer id)
-- ARGV[4]  hold seconds              ARGV[5] marker seconds
-- ARGV[6]  the offer epoch the units were taken under
-- Returns {'returned'} | {'held', buyerId} | {'already'} | {'stale'}
-- Units taken under another epoch stay out: the offer was rebuilt from MongoDB since (after a
-- Redis wipe) and may never have counted them, so giving them back could oversell. At worst the
-- offer under-sells those units.
if redis.call('EXISTS', KEYS[2]) == 0 or (redis.call('HGET', KEYS[2], 'epoch') or '') ~= ARGV[6] then
  return {'stale'}
end
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[5])) == false then return {'already'} end
local quantity = tonumber(ARGV[2])
redis.call('HINCRBY', KEYS[2], 'sold', -quantity)
local taken = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if taken <= quantity then redis.call('HDEL', KEYS[3], ARGV[1]) else redis.call('HINCRBY', KEYS[3], ARGV[1], -quantity) end
local next = redis.call('LPOP', KEYS[4])
while next do
  -- Leaves the waitset as it leaves the list, so the buyer may join again.
  redis.call('SREM', KEYS[5], next)
  -- The hold's own TTL is only a safety net; the live-hold job moves it on at the right time.
  if redis.call('SET', ARGV[3] .. next, quantity, 'NX', 'EX', tonumber(ARGV[4]) * 10) then
    return {'held', next}
  end
  next = redis.call('LPOP', KEYS[4])
end
redis.call('HINCRBY', KEYS[2], 'remaining', quantity)
return {'returned'}

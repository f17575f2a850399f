-- order-state: decide one order state transition, once, even when two actors race
-- (payment succeeds while the unpaid timeout fires). Invariant 5.
-- KEYS[1]  the order's state key
-- KEYS[2]  the order's claim key: alive while a winner is writing its transition to MongoDB
-- ARGV[1]  expected current state (from)
-- ARGV[2]  new state (to)
-- ARGV[3]  the state stored in MongoDB, or '' when the caller has not read it
-- ARGV[4]  seconds to keep the state key
-- ARGV[5]  milliseconds a winner's claim lasts (longer than any write takes)
-- Returns 'won', the state that is current instead (the caller lost), or '?' when the stored
-- state is needed and was not given: the key is missing (a new order, a Redis wipe) or already
-- shows the target. The caller reads the order and asks again.
local current = redis.call('GET', KEYS[1])
if not current or current == ARGV[2] then
  if ARGV[3] == '' then return '?' end
  current = current or ARGV[3]
end
-- Redis already moved to the same target but MongoDB still shows the old state. Either the winner
-- is still writing (its claim is alive: this caller loses to it, as any other loser would), or
-- its write never landed (a crash, a timeout: the claim has lapsed) and this retry finishes it.
if current == ARGV[2] and ARGV[3] == ARGV[1] then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    return current
  end
  redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[5]))
  return 'won'
end
if current ~= ARGV[1] then
  return current
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[4]))
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[5]))
return 'won'

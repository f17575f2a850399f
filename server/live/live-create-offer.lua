-- live-create-offer: create an offer's counters from MongoDB when they are missing (first use,
-- or after a Redis wipe).
-- KEYS[1]  the offer's hash        KEYS[2]  the offer's per-buyer hash
-- ARGV[1]  allotment   ARGV[2] units sold (orders holding stock)   ARGV[3] per-buyer limit
-- ARGV[4]  a fresh epoch: units taken under another epoch are never given back to this offer
-- ARGV[5..] pairs: buyer id, units that buyer holds
-- Only creates: an offer that exists is left alone, so two processes rebuilding at once agree.
-- Returns 1 if created, 0 if it existed.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local allotment = tonumber(ARGV[1])
local sold = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'allotment', allotment, 'remaining', math.max(0, allotment - sold), 'sold', sold, 'limit', ARGV[3], 'state', 'closed', 'epoch', ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1

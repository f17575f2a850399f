-- live-set-allotment: the streamer raises or lowers an offer's live stock.
-- KEYS[1]  the offer's hash {allotment, remaining, ...}
-- ARGV[1]  the new allotment
-- Units already out (sold or held) stay out: the allotment can never go below them, so no
-- change of allotment can oversell (invariant 2).
-- Returns {'ok', remaining} | {'below', out}
local allotment = tonumber(redis.call('HGET', KEYS[1], 'allotment') or '0')
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '0')
local out = allotment - remaining
local wanted = tonumber(ARGV[1])
if wanted < out then return {'below', tostring(out)} end
redis.call('HSET', KEYS[1], 'allotment', wanted, 'remaining', wanted - out)
return {'ok', tostring(wanted - out)}

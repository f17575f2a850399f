-- live-buy: one buyer takes units of a live offer. Decides, in one step: the session is live,
-- the offer is open (pinned, inside its flash window), the buyer's limit, the offer's
-- remaining allotment, and the SKU's stock. Invariant 2: never more units than either.
-- KEYS[1]  placement idempotency key (buyer + client key)
-- KEYS[2]  the offer's hash {state, remaining, sold, limit, opens_at, closes_at}
-- KEYS[3]  the offer's per-buyer hash {buyerId → units taken}
-- KEYS[4]  the SKU stock counter {available, epoch, inflight}
-- KEYS[5]  this buyer's waitlist hold for the offer (units held for them), may not exist
-- KEYS[6]  the in-flight hash of the process placing the order (its lease owner)
-- ARGV[1]  order number to remember   ARGV[2] seconds to remember it
-- ARGV[3]  buyer id                   ARGV[4] quantity
-- ARGV[5]  now (ms, server time: who was first is decided here, not by the streamer's screen)
-- Returns {'duplicate', orderNo} | {'missing', what} | {'closed'} | {'limit', left}
--       | {'sold_out'} | {'ok', skuEpoch, fromHold, offerEpoch}
-- The placement key is checked first: a resend of a buy that succeeded gets its order back
-- whatever the counters say now. The reservation is recorded in the owner's in-flight hash with
-- its compensation (abandon-placement.lua in server/stock applies it): the SKU units and the
-- offer's remaining, sold and per-buyer counts go back if the order is never written.
local existing = redis.call('GET', KEYS[1])
if existing then return {'duplicate', existing} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'missing', 'offer'} end
local available = redis.call('HGET', KEYS[4], 'available')
if not available then return {'missing', 'sku'} end

local offer = redis.call('HMGET', KEYS[2], 'state', 'remaining', 'limit', 'opens_at', 'closes_at', 'epoch')
local now = tonumber(ARGV[5])
if offer[1] ~= 'open' then return {'closed'} end
if offer[4] and offer[4] ~= '' and now < tonumber(offer[4]) then return {'closed'} end
if offer[5] and offer[5] ~= '' and now >= tonumber(offer[5]) then return {'closed'} end

local quantity = tonumber(ARGV[4])
local taken = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '0')
local limit = tonumber(offer[3])
if taken + quantity > limit then return {'limit', tostring(limit - taken)} end

local held = tonumber(redis.call('GET', KEYS[5]) or '0')
local fromHold = 0
if held >= quantity then
  fromHold = quantity
elseif tonumber(offer[2]) < quantity then
  return {'sold_out'}
end
if tonumber(available) < quantity then return {'sold_out'} end

if fromHold > 0 then
  if held == quantity then redis.call('DEL', KEYS[5]) else redis.call('DECRBY', KEYS[5], quantity) end
else
  redis.call('HINCRBY', KEYS[2], 'remaining', -quantity)
end
redis.call('HINCRBY', KEYS[2], 'sold', quantity)
redis.call('HINCRBY', KEYS[3], ARGV[3], quantity)
redis.call('HINCRBY', KEYS[4], 'available', -quantity)
redis.call('HINCRBY', KEYS[4], 'inflight', 1)
redis.call('HSET', KEYS[4], 'inflight_at', redis.call('TIME')[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
local epoch = redis.call('HGET', KEYS[4], 'epoch')
-- Compensation steps are {key, field, delta, guard key, guard epoch}: applied only while the
-- offer still has the epoch it was taken under (a rebuilt offer already counts from MongoDB).
local offerEpoch = offer[6] or ''
redis.call('HSET', KEYS[6], ARGV[1], cjson.encode({
  placement = KEYS[1],
  skus = {{KEYS[4], quantity, epoch}},
  adjust = {
    {KEYS[2], 'remaining', quantity, KEYS[2], offerEpoch},
    {KEYS[2], 'sold', -quantity, KEYS[2], offerEpoch},
    {KEYS[3], ARGV[3], -quantity, KEYS[2], offerEpoch}
  },
  at = now
}))
return {'ok', epoch, tostring(fromHold), offerEpoch}

-- reserve-stock: promise units of one or more SKUs to one order, all lines or none.
-- KEYS[1]      idempotency key of the placement (buyer + client key)
-- KEYS[2]      the in-flight hash of the process placing the order (its lease owner)
-- KEYS[3..n]   stock counter hashes {available, epoch, inflight}, one per line
-- ARGV[1]      order number to remember under KEYS[1]
-- ARGV[2]      seconds to remember it
-- ARGV[3..]    quantity per line, in KEYS order
-- Returns {'duplicate', orderNo} | {'missing', lineIndex} | {'sold_out', lineIndex, available}
--       | {'ok', epoch1, epoch2, ...}
-- Invariant 2 (no oversell): the check and the decrement happen in this one script, so no
-- two placements can both take the last unit, however many web processes run.
-- The reservation is recorded in the owner's in-flight hash together with its compensation
-- (abandon-placement.lua applies it), so units held by a process that dies before the order is
-- durable come back by themselves (invariant 3).
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'duplicate', existing}
end
for i = 3, #KEYS do
  local available = redis.call('HGET', KEYS[i], 'available')
  if not available then
    return {'missing', tostring(i - 2)}
  end
  if tonumber(available) < tonumber(ARGV[i]) then
    return {'sold_out', tostring(i - 2), available}
  end
end
local result = {'ok'}
local skus = {}
local now = redis.call('TIME')[1]
for i = 3, #KEYS do
  local quantity = tonumber(ARGV[i])
  redis.call('HINCRBY', KEYS[i], 'available', -quantity)
  redis.call('HINCRBY', KEYS[i], 'inflight', 1)
  redis.call('HSET', KEYS[i], 'inflight_at', now)
  local epoch = redis.call('HGET', KEYS[i], 'epoch')
  result[#result + 1] = epoch
  skus[#skus + 1] = {KEYS[i], quantity, epoch}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({placement = KEYS[1], skus = skus, at = tonumber(now)}))
return result

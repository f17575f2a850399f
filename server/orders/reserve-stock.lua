-- reserve-stock: promise units of one or more SKUs to one order, all lines or none.
-- KEYS[1]      idempotency key of the placement (buyer + client key)
-- KEYS[2..n]   stock counter hashes {available, epoch, inflight}, one per line
-- ARGV[1]      order number to remember under KEYS[1]
-- ARGV[2]      seconds to remember it
-- ARGV[3..]    quantity per line, in KEYS order
-- Returns {'duplicate', orderNo} | {'missing', lineIndex} | {'sold_out', lineIndex, available}
--       | {'ok', epoch1, epoch2, ...}
-- Invariant 2 (no oversell): the check and the decrement happen in this one script, so no
-- two placements can both take the last unit, however many web processes run.
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'duplicate', existing}
end
for i = 2, #KEYS do
  local available = redis.call('HGET', KEYS[i], 'available')
  if not available then
    return {'missing', tostring(i - 1)}
  end
  if tonumber(available) < tonumber(ARGV[i + 1]) then
    return {'sold_out', tostring(i - 1), available}
  end
end
local result = {'ok'}
for i = 2, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'available', -tonumber(ARGV[i + 1]))
  redis.call('HINCRBY', KEYS[i], 'inflight', 1)
  redis.call('HSET', KEYS[i], 'inflight_at', redis.call('TIME')[1])
  result[#result + 1] = redis.call('HGET', KEYS[i], 'epoch')
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return result

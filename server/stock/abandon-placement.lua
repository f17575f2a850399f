-- abandon-placement: give back what one placement reserved, once, when its order will not
-- be written (the write failed, or the process that placed it died: its lease ran out).
-- KEYS[1]  the in-flight hash holding the placement (field = order number)
-- ARGV[1]  order number
-- ARGV[2]  'keep' to keep the placement's idempotency key (its order exists under that key),
--          anything else to forget it so the buyer's retry is a fresh attempt
-- The entry was written by the script that reserved (reserve-stock.lua, live-buy.lua) and holds
-- its compensation: SKU counters to give units back to (only under the epoch they were taken
-- from: a rebuilt counter already counts from the ledger, so this can under-sell until the next
-- resync, never oversell) and further counters to adjust, {key, field, delta, guard key, guard
-- epoch}, each only while the guard still has that epoch (a live offer's remaining, sold and
-- per-buyer count). HDEL decides "once": a concurrent settle or a second reaper finds nothing.
-- Returns 1 if the placement was abandoned here, 0 if it was already settled or abandoned.
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
local placement = cjson.decode(entry)
for _, sku in ipairs(placement.skus) do
  if redis.call('HGET', sku[1], 'epoch') == sku[3] then
    redis.call('HINCRBY', sku[1], 'available', sku[2])
    redis.call('HINCRBY', sku[1], 'inflight', -1)
  end
end
if placement.adjust then
  for _, step in ipairs(placement.adjust) do
    local guard = redis.call('HGET', step[4], 'epoch')
    if redis.call('EXISTS', step[4]) == 1 and (guard or '') == step[5] then
      redis.call('HINCRBY', step[1], step[2], step[3])
    end
  end
end
if ARGV[2] ~= 'keep' then
  redis.call('DEL', placement.placement)
end
return 1

-- recount-bookings: the counts of a ship date, counted again after Redis lost them: the parcels
-- MongoDB has with a courier that day, together with those counted in Redis meanwhile (booked
-- while MongoDB was read, and maybe not written yet), each parcel once.
-- KEYS[1]  the counts hash {_counted, <courierCode> → parcels}
-- KEYS[2]  the parcels counted {parcelNo → courierCode}
-- ARGV[1]  seconds to keep them   ARGV[2..] parcel number, courier code, ... (read from MongoDB)
for i = 2, #ARGV, 2 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
local counts = {}
for _, courierCode in ipairs(redis.call('HVALS', KEYS[2])) do
  counts[courierCode] = (counts[courierCode] or 0) + 1
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '_counted', '1')
for courierCode, n in pairs(counts) do
  redis.call('HSET', KEYS[1], courierCode, n)
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
return 1

-- count-booking: counts a parcel booked with a courier for a ship date, once. The parcel is
-- remembered beside the counts, so counting it again (after its write, or on a retry) and the
-- recount from MongoDB (recount-bookings.lua) never count it twice.
-- KEYS[1]  the counts hash {_counted, <courierCode> → parcels}
-- KEYS[2]  the parcels counted {parcelNo → courierCode}
-- ARGV[1]  seconds to keep them   ARGV[2] parcel number   ARGV[3] courier code
-- Counted even when the counts are missing (a wipe): a recount under way adds MongoDB's
-- parcels to this one, so a parcel written after its read is not lost.
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
return 1

-- count-booking: one more parcel booked with a courier for a ship date, counted only where the
-- date's count exists (otherwise the next reader counts the parcels in MongoDB, this one too).
-- KEYS[1]  the date's hash {_counted, <courierCode> → parcels}
-- ARGV[1]  courier code
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)

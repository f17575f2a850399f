-- remember-counts: stores counts read from MongoDB, unless they are kept already (another
-- process counted first and has been counting since).
-- KEYS[1]  the hash   ARGV[1] seconds to keep it   ARGV[2..] field, count, field, count, ...
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], '_counted', '1')
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1

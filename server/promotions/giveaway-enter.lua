-- giveaway-enter: one buyer enters a lucky bag, once, however often they tap or comment.
-- KEYS[1]  the giveaway's hash {state: open | closed, endsAt: ms}
-- KEYS[2]  the set of entered buyer ids
-- KEYS[3]  the hash {buyerId → display name} the draw reads its winners' names from
-- ARGV[1]  buyer id
-- ARGV[2]  buyer's display name
-- Returns {'missing'} | {'closed'} | {'already', entries} | {'ok', entries}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('HGET', KEYS[1], 'state') ~= 'open'
  or now >= tonumber(redis.call('HGET', KEYS[1], 'endsAt')) then
  return {'closed'}
end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then
  return {'already', redis.call('SCARD', KEYS[2])}
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
-- The entries live as long as the giveaway's own hash.
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
return {'ok', redis.call('SCARD', KEYS[2])}

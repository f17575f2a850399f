-- coupon-unclaim: undoes a claim whose record MongoDB refused (the buyer already had one, or
-- the slot was taken before a Redis wipe). Invariant: a slot goes back to the free list only
-- when MongoDB holds no claim on it, and only the claim this caller made is undone.
-- KEYS[1]  the list of free slot numbers
-- KEYS[2]  the claims hash {buyerId → slot number | 'u:' .. orderNo}
-- ARGV[1]  buyer id   ARGV[2] the slot the claim took   ARGV[3] '1' to free the slot again
-- Returns 1 if the claim was undone, 0 if the buyer's entry was no longer that claim.
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[3] == '1' then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  -- The list may have been emptied (and so deleted) by the last claim: it lives as long as the
  -- claims hash.
  local ttl = redis.call('TTL', KEYS[2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
end
return 1

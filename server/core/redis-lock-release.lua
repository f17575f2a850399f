-- redis-lock-release: let go of a lock only if we still hold it. A holder that ran past
-- the lock's expiry must not delete the lock a second holder has taken since.
-- KEYS[1]  the lock key
-- ARGV[1]  the token the holder set when it took the lock
-- Returns 1 if released, 0 if the lock had expired or belongs to someone else.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

-- add-if-counted: adds to counts kept in a hash, only where the hash exists (otherwise the next
-- reader counts from MongoDB, and so counts this change too).
-- KEYS[1]  the hash {_counted, <field> → count}
-- ARGV     field, delta, field, delta, ...
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], tonumber(ARGV[i + 1]))
end
return 1

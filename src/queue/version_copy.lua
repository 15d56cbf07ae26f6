#!lua
-- Raise a partition's copy of the subscriptions version to ARGV[1] (never lower it: copies from
-- concurrent changes may arrive in any order). KEYS[1]: the copy.
local copy = tonumber(redis.call('GET', KEYS[1]) or '-1')
if copy < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1

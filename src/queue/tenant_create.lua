#!lua
-- Creates a tenant unless one with that id exists.
-- KEYS[1]: the tenant hash   KEYS[2]: the tenants index   KEYS[3]: the subscriptions version
-- ARGV[1]: id   ARGV[2]: created (ms)   ARGV[3]: record
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'record', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('INCR', KEYS[3])
return 1

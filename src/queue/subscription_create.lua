#!lua
-- Creates a subscription within its tenant's limit, atomically with both indexes.
-- KEYS[1]: the subscription hash   KEYS[2]: the subscriptions index   KEYS[3]: the tenant's index
-- KEYS[4]: the subscriptions version   KEYS[5]: the tenant hash
-- ARGV[1]: id   ARGV[2]: created (ms)   ARGV[3]: record   ARGV[4]: the tenant's max subscriptions
-- Returns 1 created, 0 the tenant is at its limit, -1 the tenant does not exist.
if redis.call('EXISTS', KEYS[5]) == 0 then
  return -1
end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], 'record', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('INCR', KEYS[4])
return 1

#!lua
-- Deletes a tenant with its keys, refusing while it has subscriptions.
-- KEYS[1]: the tenant hash   KEYS[2]: the tenants index   KEYS[3]: its subscriptions index
-- KEYS[4]: its keys hash   KEYS[5]: the subscriptions version   KEYS[6]: keys last used
-- ARGV[1]: id   ARGV[2]: the api key name prefix (`{p}:apikey:`)
-- Returns 1 deleted, 0 no such tenant, -1 it has subscriptions.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('ZCARD', KEYS[3]) > 0 then
  return -1
end
local pairs = redis.call('HGETALL', KEYS[4])
for i = 1, #pairs, 2 do
  redis.call('DEL', ARGV[2] .. pairs[i + 1])
  redis.call('HDEL', KEYS[6], pairs[i])
end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[5])
return 1

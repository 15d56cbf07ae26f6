#!lua
-- Stores a tenant key under its digest, if the tenant exists.
-- KEYS[1]: the tenant hash   KEYS[2]: its keys hash   KEYS[3]: the api key (by digest)
-- ARGV[1]: key id   ARGV[2]: digest   ARGV[3]: record
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1

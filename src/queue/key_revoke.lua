#!lua
-- Revokes a tenant key: its lookup record goes, so no process accepts it after its cache expires.
-- KEYS[1]: the tenant's keys hash   KEYS[2]: keys last used   ARGV[1]: key id
-- ARGV[2]: the api key name prefix (`{p}:apikey:`). Returns 1 revoked, 0 no such key.
local digest = redis.call('HGET', KEYS[1], ARGV[1])
if not digest then
  return 0
end
redis.call('DEL', ARGV[2] .. digest)
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1

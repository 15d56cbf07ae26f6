#!lua
-- Store an event meant for one subscription only (a test ping), with its id-index entry and its
-- one job, atomically.
-- KEYS[1]: the events stream   KEYS[2]: the event's id-index key   KEYS[3]: the deliveries stream
-- ARGV[1]: subscription id   ARGV[2]: CloudEvent JSON   ARGV[3]: id-index TTL in seconds
local entry = redis.call('XADD', KEYS[1], '*', 'target', ARGV[1], 'event', ARGV[2])
redis.call('SET', KEYS[2], entry, 'EX', ARGV[3])
redis.call('XADD', KEYS[3], '*', 'e', entry, 's', ARGV[1])
return entry

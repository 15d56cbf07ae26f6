#!lua
-- Store an event meant for one subscription only (a test ping), with its id-index entry and its
-- one job, atomically.
-- KEYS[1]: the events stream   KEYS[2]: the event's id-index key   KEYS[3]: the deliveries stream
-- ARGV[1]: id   ARGV[2]: type   ARGV[3]: subscription id   ARGV[4]: CloudEvent JSON
-- ARGV[5]: id-index TTL in seconds
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'type', ARGV[2], 'target', ARGV[3], 'event', ARGV[4])
redis.call('SET', KEYS[2], entry, 'EX', ARGV[5])
redis.call('XADD', KEYS[3], '*', 'e', entry, 's', ARGV[3])
return entry

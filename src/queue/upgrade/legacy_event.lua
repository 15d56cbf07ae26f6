#!lua
-- Adopt an event of the layout before partitions into this partition: store it, index it, and
-- queue it for routing (or, for a test ping, queue its one job), atomically.
-- KEYS[1]: events stream   KEYS[2]: the event's id-index key   KEYS[3]: routing stream
-- KEYS[4]: deliveries stream
-- ARGV[1]: id   ARGV[2]: type   ARGV[3]: CloudEvent JSON   ARGV[4]: target ('' for none)
-- ARGV[5]: id-index TTL in seconds
local entry
if ARGV[4] == '' then
  entry = redis.call('XADD', KEYS[1], '*', 'event', ARGV[3])
  redis.call('XADD', KEYS[3], '*', 'e', entry)
else
  entry = redis.call('XADD', KEYS[1], '*', 'target', ARGV[4], 'event', ARGV[3])
  redis.call('XADD', KEYS[4], '*', 'e', entry, 's', ARGV[4])
end
redis.call('SET', KEYS[2], entry, 'EX', ARGV[5])
return entry

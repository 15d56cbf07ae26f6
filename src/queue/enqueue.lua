#!lua
-- Deduplicate and enqueue the events of one provider request, atomically.
-- The shebang makes Redis refuse the whole script up front when it is out of memory, so an
-- error can never leave half of the events written.
-- KEYS[1]: the seen key of the provider event   KEYS[2]: the events stream
-- KEYS[3..]: per event, its id-index key (event id -> stream entry id)
-- ARGV[1]: dedupe TTL in seconds   ARGV[2]: JSON array of our event ids (what a repeat answers)
-- ARGV[3]: id-index TTL in seconds
-- ARGV[4..]: per event, three values: id, type, CloudEvent JSON
local previous = redis.call('GET', KEYS[1])
if previous then
  return {0, previous}
end
for i = 4, #ARGV, 3 do
  local entry = redis.call('XADD', KEYS[2], '*', 'id', ARGV[i], 'type', ARGV[i + 1], 'event', ARGV[i + 2])
  redis.call('SET', KEYS[3 + (i - 4) / 3], entry, 'EX', ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[1])
return {1, ARGV[2]}

#!lua
-- Deduplicate and enqueue the events of a batch of provider requests, atomically.
-- The shebang makes Redis refuse the whole script up front when it is out of memory, so an
-- error can never leave half of a request's events written.
-- KEYS[1]: the events stream; then per request: the seen key of its provider event, followed by
--          one id-index key (event id -> stream entry id) per event; last: the replication mark
-- ARGV[1]: id-index TTL in seconds
-- ARGV[2]: 1 when the caller waits for replicas: a call that stores nothing writes the mark, so
--          that WAIT after it covers the earlier acceptance of the repeats it answers
-- ARGV[3..]: per request: dedupe TTL in seconds, event count n, JSON array of our event ids (what
--            a repeat answers), then n times: id, type, CloudEvent JSON
-- Returns per request two values: 1 (stored) or 0 (a repeat), and the JSON id list to answer.
local result = {}
local key, arg = 2, 3
local stored = false
while arg <= #ARGV do
  local seen, ttl, count, ids = KEYS[key], ARGV[arg], tonumber(ARGV[arg + 1]), ARGV[arg + 2]
  local previous = redis.call('GET', seen)
  if previous then
    result[#result + 1] = 0
    result[#result + 1] = previous
  else
    for i = 0, count - 1 do
      local at = arg + 3 + i * 3
      local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[at], 'type', ARGV[at + 1], 'event', ARGV[at + 2])
      redis.call('SET', KEYS[key + 1 + i], entry, 'EX', ARGV[1])
    end
    redis.call('SET', seen, ids, 'EX', ttl)
    stored = true
    result[#result + 1] = 1
    result[#result + 1] = ids
  end
  key = key + 1 + count
  arg = arg + 3 + count * 3
end
if not stored and ARGV[2] == '1' then
  redis.call('SET', KEYS[#KEYS], '1')
end
return result

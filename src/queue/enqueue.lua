#!lua
-- Deduplicate, store and fan out the events of a batch of provider requests of one partition,
-- atomically. The shebang makes Redis refuse the whole script up front when it is out of memory,
-- so an error can never leave half of a request's events written.
-- Each new event is stored once. When the caller's subscriptions snapshot has the version this
-- partition holds, its jobs (event entry, subscription) are appended here and now; otherwise the
-- event goes to the routing stream, for a router with a fresh snapshot.
-- KEYS[1]: events stream   KEYS[2]: deliveries stream   KEYS[3]: routing stream
-- KEYS[4]: the partition's subscriptions version   then per request: its seen key, followed by one
-- id-index key per event; last: the replication mark
-- ARGV[1]: id-index TTL in seconds   ARGV[2]: 1 when the caller waits for replicas (a call that
-- stores nothing writes the mark, so that WAIT after it covers the earlier acceptance)
-- ARGV[3]: the caller's snapshot version ('' for none)
-- ARGV[4..]: per request: dedupe TTL, event count n, JSON array of our event ids, then n times:
-- id, type, CloudEvent JSON, target count m, m subscription ids
-- Returns 1 when the snapshot was current (or unused), 0 when it was stale; then per request:
-- 1 (stored) or 0 (a repeat), and the JSON id list to answer.
local current = ARGV[3] ~= '' and redis.call('GET', KEYS[4]) == ARGV[3]
local result = {current and 1 or 0}
if ARGV[3] == '' then
  result[1] = 1
end
local key, arg = 5, 4
local stored = false
while arg <= #ARGV do
  local seen, ttl, count, ids = KEYS[key], ARGV[arg], tonumber(ARGV[arg + 1]), ARGV[arg + 2]
  local previous = redis.call('GET', seen)
  local at = arg + 3
  if previous then
    for i = 1, count do
      at = at + 4 + tonumber(ARGV[at + 3])
    end
    result[#result + 1] = 0
    result[#result + 1] = previous
  else
    for i = 1, count do
      local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[at], 'type', ARGV[at + 1], 'event', ARGV[at + 2])
      redis.call('SET', KEYS[key + i], entry, 'EX', ARGV[1])
      local targets = tonumber(ARGV[at + 3])
      if current then
        for t = 1, targets do
          redis.call('XADD', KEYS[2], '*', 'e', entry, 's', ARGV[at + 3 + t])
        end
      else
        redis.call('XADD', KEYS[3], '*', 'e', entry)
      end
      at = at + 4 + targets
    end
    redis.call('SET', seen, ids, 'EX', ttl)
    stored = true
    result[#result + 1] = 1
    result[#result + 1] = ids
  end
  key = key + 1 + count
  arg = at
end
if not stored and ARGV[2] == '1' then
  redis.call('SET', KEYS[#KEYS], '1')
end
return result

#!lua
-- Deduplicate, store and fan out the events of a batch of provider requests, atomically. On a
-- cluster a batch holds one partition's requests (one slot); on one Redis it may mix partitions.
-- The shebang makes Redis refuse the whole script up front when it is out of memory, so an error
-- can never leave half of a request's events written.
-- Each new event is stored once. When the caller's subscriptions snapshot has the version the
-- request's partition holds, its jobs (event entry, subscription) are appended here and now;
-- otherwise the event goes to the partition's routing stream, for a router with a fresh snapshot.
-- KEYS, per request: its partition's events, deliveries and routing streams and version copy, its
-- seen key, then one id-index key per event; last: the replication mark.
-- ARGV[1]: id-index TTL in seconds   ARGV[2]: 1 when the caller waits for replicas (a call that
-- stores nothing writes the mark, so that WAIT after it covers the earlier acceptance)
-- ARGV[3..]: per request: the snapshot version ('' for none), dedupe TTL, event count n, JSON
-- array of our event ids, then n times: CloudEvent JSON, target count m, m subscription ids.
-- Returns 1 when every snapshot used was current, else 0; then per request: 1 (stored) or 0 (a
-- repeat), and the JSON id list to answer.
local result = {1}
local versions = {}
local key, arg = 1, 3
local stored = false
while arg <= #ARGV do
  local events, deliveries, routing, version = KEYS[key], KEYS[key + 1], KEYS[key + 2], KEYS[key + 3]
  local seen = KEYS[key + 4]
  local snapshot, ttl, count, ids = ARGV[arg], ARGV[arg + 1], tonumber(ARGV[arg + 2]), ARGV[arg + 3]
  local current = false
  if snapshot ~= '' then
    if versions[version] == nil then
      versions[version] = redis.call('GET', version) or ''
    end
    current = versions[version] == snapshot
    if not current then
      result[1] = 0
    end
  end
  -- One call checks and claims the dedupe key (NX GET, Redis 7.0): the old value of a repeat, or
  -- false (and the key set) for a new request, whose events follow in this same atomic call.
  local previous = redis.call('SET', seen, ids, 'NX', 'GET', 'EX', ttl)
  local at = arg + 4
  if previous then
    for i = 1, count do
      at = at + 2 + tonumber(ARGV[at + 1])
    end
    result[#result + 1] = 0
    result[#result + 1] = previous
  else
    for i = 1, count do
      local entry = redis.call('XADD', events, '*', 'event', ARGV[at])
      redis.call('SET', KEYS[key + 4 + i], entry, 'EX', ARGV[1])
      local targets = tonumber(ARGV[at + 1])
      if current then
        for t = 1, targets do
          redis.call('XADD', deliveries, '*', 'e', entry, 's', ARGV[at + 1 + t])
        end
      else
        redis.call('XADD', routing, '*', 'e', entry)
      end
      at = at + 2 + targets
    end
    stored = true
    result[#result + 1] = 1
    result[#result + 1] = ids
  end
  key = key + 5 + count
  arg = at
end
if not stored and ARGV[2] == '1' then
  redis.call('SET', KEYS[#KEYS], '1')
end
return result

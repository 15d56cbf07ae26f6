-- Deduplicate, store and fan out the events of a batch of provider requests, atomically. On a
-- cluster a batch holds one partition's requests (one slot); on one Redis it may mix partitions.
-- The shebang makes Redis refuse the whole script up front when it is out of memory, so an error
-- can never leave half of a request's events written.
-- Each new event is stored once. When the caller's subscriptions snapshot has the version the
-- request's partition holds, its jobs (event entry, subscription) are appended here and now;
-- otherwise the event goes to the partition's routing stream, for a router with a fresh snapshot.
-- An ordered subscription's job joins its subject's lane (lane.lua); so that it never overtakes an
-- earlier event of its subject still waiting to be routed, an event with such a job is routed too
-- while the routing stream holds anything.
-- KEYS, per request: its partition's events, deliveries and routing streams, version copy and lane
-- counter, its seen key, then per event its id-index key followed by, per ordered target, its
-- lane and its subscription's lane waiting set; last: the replication mark.
-- ARGV[1]: id-index TTL in seconds   ARGV[2]: 1 when the caller waits for replicas (a call that
-- stores nothing writes the mark, so that WAIT after it covers the earlier acceptance)
-- ARGV[3]: now (ms)
-- ARGV[4..]: per request: the snapshot version ('' for none), dedupe TTL, event count n, JSON
-- array of our event ids, then n times: CloudEvent JSON, target count m, then m times a
-- subscription id and its lane's subject ('': unordered).
-- Returns 1 when every snapshot used was current, else 0; then per request: 1 (stored) or 0 (a
-- repeat), and the JSON id list to answer.
local result = {1}
local versions = {}
local key, arg = 1, 4
local stored = false
while arg <= #ARGV do
  local events, deliveries, routing, version = KEYS[key], KEYS[key + 1], KEYS[key + 2], KEYS[key + 3]
  local lane_seq, seen = KEYS[key + 4], KEYS[key + 5]
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
  key = key + 6
  for i = 1, count do
    local targets = tonumber(ARGV[at + 1])
    local index_key = KEYS[key]
    key = key + 1
    if not previous then
      local entry = redis.call('XADD', events, '*', 'event', ARGV[at])
      redis.call('SET', index_key, entry, 'EX', ARGV[1])
      local direct = current
      if direct then
        for t = 1, targets do
          if ARGV[at + 2 * t + 1] ~= '' then
            direct = redis.call('XLEN', routing) == 0
            break
          end
        end
      end
      if not direct then
        redis.call('XADD', routing, '*', 'e', entry)
      end
      for t = 1, targets do
        local subscription, subject = ARGV[at + 2 * t], ARGV[at + 2 * t + 1]
        if subject ~= '' then
          if direct then
            lane_add(KEYS[key], KEYS[key + 1], lane_seq, deliveries, 'e', entry, subscription, subject, ARGV[3])
          end
          key = key + 2
        elseif direct then
          redis.call('XADD', deliveries, '*', 'e', entry, 's', subscription)
        end
      end
    else
      for t = 1, targets do
        if ARGV[at + 2 * t + 1] ~= '' then
          key = key + 2
        end
      end
    end
    at = at + 2 + 2 * targets
  end
  if previous then
    result[#result + 1] = 0
    result[#result + 1] = previous
  else
    stored = true
    result[#result + 1] = 1
    result[#result + 1] = ids
  end
  arg = at
end
if not stored and ARGV[2] == '1' then
  redis.call('SET', KEYS[#KEYS], '1')
end
return result

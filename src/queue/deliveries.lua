#!lua
-- The deliveries library: every script that adds jobs to a partition's deliveries or finishes
-- them, with the lane and attempt-record functions they share, in one script that stands alone
-- (nothing in it is defined anywhere else). Redis caches it once, by its SHA; the caller names
-- the entry point as ARGV[1], which is taken off before the entry runs, so each entry's ARGV
-- below is numbered as the entry sees it. The entries are branches of one if-chain (not a table
-- of closures), so a call builds only the five shared helpers. The shebang makes Redis refuse a
-- call up front when it is out of memory, so an error can never leave half of an entry's writes
-- done.
-- Entries: enqueue, fan_out, append_jobs, settle, settle_together, attempt_record.
local entry = table.remove(ARGV, 1)

-- Lanes of ordered subscriptions, shared by the entries that add and finish jobs. A lane holds one subject's jobs for one subscription in the order they joined it; its
-- first element is out for delivery (in the deliveries stream, or scheduled for its retry), the
-- rest wait, each also in the subscription's waiting set (member: its sequence number, score: when
-- it was accepted). Elements: '<seq>|e|<event entry>' (a first attempt) or '<seq>|j|<job JSON>'.

-- Puts a job in the deliveries stream: a first attempt by reference (with its lane's subject when
-- it has one), or a job's JSON.
local function job_out(deliveries, kind, data, subscription, subject)
  if kind == 'j' then
    return redis.call('XADD', deliveries, '*', 'job', data)
  end
  if subject ~= '' then
    return redis.call('XADD', deliveries, '*', 'e', data, 's', subscription, 'l', subject)
  end
  return redis.call('XADD', deliveries, '*', 'e', data, 's', subscription)
end

-- Adds a job at the tail of its lane; it goes out at once when the lane was empty.
local function lane_add(lane, waiting, seq_key, deliveries, kind, data, subscription, subject, accepted_ms)
  local seq = redis.call('INCR', seq_key)
  if redis.call('RPUSH', lane, seq .. '|' .. kind .. '|' .. data) == 1 then
    job_out(deliveries, kind, data, subscription, subject)
  else
    redis.call('ZADD', waiting, accepted_ms, seq)
  end
end

-- The lane's head is finished (delivered, dead-lettered or dropped): the next job goes out.
-- Returns how many jobs were waiting behind the head (they now pass it).
local function lane_advance(lane, waiting, deliveries, subscription, subject)
  local behind = redis.call('LLEN', lane) - 1
  if behind < 0 then
    return 0
  end
  redis.call('LPOP', lane)
  local next = redis.call('LINDEX', lane, 0)
  if next then
    local bar = string.find(next, '|', 1, true)
    redis.call('ZREM', waiting, string.sub(next, 1, bar - 1))
    job_out(deliveries, string.sub(next, bar + 1, bar + 1), string.sub(next, bar + 3), subscription, subject)
  end
  return behind
end

-- Records a settled attempt in the registry: its delivery-log entry and the subscription's failure
-- streak (used by settle_together and attempt_record). Idempotent when `key` is given, so it can be retried
-- after a timeout: an entry whose `key` is already the newest in the log is not appended again,
-- and the streak is set-if-absent or cleared.
-- Returns the time (ms) the subscription has been failing since, or false.
local function record(log, subscription, kind, now_ms, log_len, key, fields)
  if #fields > 0 then
    local seen = false
    if key ~= '' then
      local newest = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
      if newest then
        local stored = newest[2]
        for i = 1, #stored, 2 do
          if stored[i] == 'key' and stored[i + 1] == key then
            seen = true
          end
        end
      end
    end
    if not seen then
      if key ~= '' then
        table.insert(fields, 1, key)
        table.insert(fields, 1, 'key')
      end
      redis.call('XADD', log, 'MAXLEN', '~', log_len, '*', unpack(fields))
    end
  end
  if kind == 'delivered' then
    redis.call('HDEL', subscription, 'failing_since')
    return false
  end
  if (kind == 'retry' or kind == 'dead') and redis.call('EXISTS', subscription) == 1 then
    redis.call('HSETNX', subscription, 'failing_since', now_ms)
    return redis.call('HGET', subscription, 'failing_since')
  end
  return false
end

-- Carry out the decision on one delivery attempt within its partition, atomically: acknowledge
-- and remove the job; schedule its retry or dead-letter it; forget its wait on the rate limit; and
-- when it heads a lane and is finished, let the lane's next job out (lane_advance). (Parking is
-- park.lua.)
-- KEYS[1]: deliveries stream   KEYS[2]: retry sorted set   KEYS[3]: dead stream
-- KEYS[4]: the job's lane   KEYS[5]: its subscription's lane waiting set
-- KEYS[6]: its subscription's rate waiting set
-- ARGV[1]: deliver group   ARGV[2]: job entry id   ARGV[3]: delivered|retry|dead|drop
-- ARGV[4]: due time (ms) for a retry   ARGV[5]: job JSON to schedule or dead-letter
-- ARGV[6]: reason   ARGV[7]: now (ms)   ARGV[8]: subscription id   ARGV[9]: lane subject ('': none)
-- ARGV[10]: the job's member in the rate waiting set ('': none)
-- Returns `settled`: 1 when the job was still pending here (0: another process settled it first,
-- and nothing else is done).
local function settle_partition()
  local settled = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[1], ARGV[2])
  if settled == 1 then
    local kind = ARGV[3]
    if kind == 'retry' then
      redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
    end
    if ARGV[10] ~= '' then
      redis.call('ZREM', KEYS[6], ARGV[10])
    end
    local passed = 0
    if ARGV[9] ~= '' and (kind == 'delivered' or kind == 'dead' or kind == 'drop') then
      passed = lane_advance(KEYS[4], KEYS[5], KEYS[1], ARGV[8], ARGV[9])
    end
    if kind == 'dead' then
      if ARGV[9] ~= '' then
        redis.call('XADD', KEYS[3], '*', 'job', ARGV[5], 'reason', ARGV[6], 'failed_at', ARGV[7], 'passed', passed)
      else
        redis.call('XADD', KEYS[3], '*', 'job', ARGV[5], 'reason', ARGV[6], 'failed_at', ARGV[7])
      end
    end
  end
  return settled
end

-- Deduplicate, store and fan out the events of a batch of provider requests, atomically. On a
-- cluster a batch holds one partition's requests (one slot); on one Redis it may mix partitions.
-- Each new event is stored once. When the caller's subscriptions snapshot has the version the
-- request's partition holds, its jobs (event entry, subscription) are appended here and now;
-- otherwise the event goes to the partition's routing stream, for a router with a fresh snapshot.
-- An ordered subscription's job joins its subject's lane (lane_add); so that it never overtakes
-- an earlier event of its subject still waiting to be routed, an event with such a job is routed
-- too while the routing stream holds anything.
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
if entry == 'enqueue' then
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

-- Fan routed events out into delivery jobs and retire their routing entries, atomically: each
-- event is either still pending routing (and is fanned out again by whoever reclaims it) or fully
-- fanned out. An ordered subscription's job joins its subject's lane (lane_add, lane_advance).
-- KEYS[1]: the routing stream   KEYS[2]: the deliveries stream   KEYS[3]: the lane counter
-- KEYS[4..]: per ordered target, in order: its lane and its subscription's lane waiting set
-- ARGV[1]: the route group   ARGV[2]: now (ms)
-- ARGV[3..]: per routing entry: its id, its event's entry id, the number n of subscriptions, then
-- n times: a subscription id and its lane's subject ('': unordered)
elseif entry == 'fan_out' then
  local i = 3
  local key = 4
  local jobs = 0
  while i <= #ARGV do
    local routing, event, count = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    for j = 1, count do
      local subscription, subject = ARGV[i + 1 + 2 * j], ARGV[i + 2 + 2 * j]
      if subject ~= '' then
        lane_add(KEYS[key], KEYS[key + 1], KEYS[3], KEYS[2], 'e', event, subscription, subject, ARGV[2])
        key = key + 2
      else
        redis.call('XADD', KEYS[2], '*', 'e', event, 's', subscription)
      end
    end
    redis.call('XACK', KEYS[1], ARGV[1], routing)
    redis.call('XDEL', KEYS[1], routing)
    jobs = jobs + count
    i = i + 3 + 2 * count
  end
  return jobs

-- Append jobs to a partition's deliveries (replay and redrive), all or none: an ordered
-- subscription's job joins the tail of its subject's lane (lane_add, lane_advance); a redriven dead letter
-- another redrive moved first is skipped, so concurrent redrives never deliver twice.
-- KEYS[1]: deliveries stream   KEYS[2]: dead stream   KEYS[3]: the lane counter
-- KEYS[4..]: per job with a lane, in order: its lane and its subscription's lane waiting set
-- ARGV[1]: now (ms); then per job: the dead letter it comes from ('': none), e|j, the event entry
-- or job JSON, subscription id, lane subject ('': unordered)
-- Returns how many were appended.
elseif entry == 'append_jobs' then
  local key = 4
  local appended = 0
  for i = 2, #ARGV, 5 do
    local dead, kind, data, subscription, subject = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    if dead == '' or redis.call('XDEL', KEYS[2], dead) == 1 then
      if subject ~= '' then
        lane_add(KEYS[key], KEYS[key + 1], KEYS[3], KEYS[1], kind, data, subscription, subject, ARGV[1])
      else
        job_out(KEYS[1], kind, data, subscription, '')
      end
      appended = appended + 1
    end
    if subject ~= '' then
      key = key + 2
    end
  end
  return appended

-- settle: settle_partition alone, on a cluster (attempt_record follows, in the registry's slot).
-- Returns settled (see settle_partition).
elseif entry == 'settle' then
  return settle_partition()

-- settle_together: on one Redis, where a script may touch the registry and a partition together,
-- settle_partition and the registry record (record) as one atomic call.
-- KEYS[7]: the subscription's attempt log   KEYS[8]: the subscription hash
-- ARGV[11]: attempt log length   ARGV[12..]: attempt log entry as field, value pairs (none: nothing
-- is logged)
-- Returns the time (ms) the subscription has been failing since, or false.
elseif entry == 'settle_together' then
  local settled = settle_partition()
  if settled == 0 then
    return false
  end
  local fields = {}
  for i = 12, #ARGV do
    fields[#fields + 1] = ARGV[i]
  end
  return record(KEYS[7], KEYS[8], ARGV[3], ARGV[7], ARGV[11], '', fields)

-- attempt_record: record a settled attempt in the registry, on a cluster (where the partition's
-- settle ran first, in another slot): see record.
-- KEYS[1]: the subscription's attempt log   KEYS[2]: the subscription hash
-- ARGV[1]: delivered|retry|dead|drop   ARGV[2]: now (ms)   ARGV[3]: attempt log length
-- ARGV[4]: the attempt's key (partition, job entry, attempt)
-- ARGV[5..]: attempt log entry as field, value pairs (none: nothing is logged)
elseif entry == 'attempt_record' then
  local fields = {}
  for i = 5, #ARGV do
    fields[#fields + 1] = ARGV[i]
  end
  return record(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], fields)
end
return redis.error_reply('ERR unknown deliveries entry: ' .. tostring(entry))

-- Lanes of ordered subscriptions, shared by the scripts that add and finish jobs (prepended to
-- them). A lane holds one subject's jobs for one subscription in the order they joined it; its
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

#!lua
-- The last check before an attempt under a rate limit, for every process at once: attempts are
-- kept at least 1/rate apart when they are sent, for the subscription and for its tenant (a GCRA
-- without burst). Reserved slots (rate_reserve.lua) say when each job should go, so that far ones
-- wait parked; this keeps a process that ran late from sending several slots' attempts together,
-- which would push a 1 s window past the limit.
-- KEYS[1]: the subscription's next send time   KEYS[2]: the tenant's (µs, Redis's clock)
-- ARGV[1]: the subscription's interval (µs, 0: no limit)   ARGV[2]: the tenant's (µs, 0: none)
-- Returns 0 when the attempt may go now (and takes its turn), else the ms to wait before asking
-- again.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local intervals = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local next_send = {now, now}
local wait = 0
for i = 1, 2 do
  if intervals[i] > 0 then
    next_send[i] = math.max(now, tonumber(redis.call('GET', KEYS[i]) or '0'))
    wait = math.max(wait, next_send[i] - now)
  end
end
if wait > 0 then
  return math.ceil(wait / 1000)
end
for i = 1, 2 do
  if intervals[i] > 0 then
    local free = next_send[i] + intervals[i]
    redis.call('SET', KEYS[i], string.format('%.0f', free), 'PX', math.ceil(intervals[i] / 1000) + 1000)
  end
end
return 0

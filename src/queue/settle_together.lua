#!lua
-- On one Redis (not a cluster), where a script may touch the registry and a partition together:
-- carry out the decision on one delivery attempt, atomically: acknowledge and remove the job,
-- schedule its retry or dead-letter it, log the attempt, and track the subscription's failure streak.
-- (On a cluster, settle.lua and attempt_record.lua do this in two steps.)
-- KEYS[1]: deliveries stream   KEYS[2]: retry sorted set   KEYS[3]: dead stream
-- KEYS[4]: the subscription's attempt log   KEYS[5]: the subscription hash
-- ARGV[1]: deliver group   ARGV[2]: job entry id   ARGV[3]: delivered|retry|dead|defer
-- ARGV[4]: due time (ms) for retry/defer   ARGV[5]: job JSON to schedule or dead-letter
-- ARGV[6]: reason   ARGV[7]: now (ms)   ARGV[8]: attempt log length
-- ARGV[9..]: attempt log entry as field, value pairs (none: nothing is logged)
-- Returns the time (ms) the subscription has been failing since, or false.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
local kind = ARGV[3]
if kind == 'retry' or kind == 'defer' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
elseif kind == 'dead' then
  redis.call('XADD', KEYS[3], '*', 'job', ARGV[5], 'reason', ARGV[6], 'failed_at', ARGV[7])
end
if #ARGV >= 9 then
  local fields = {}
  for i = 9, #ARGV do
    fields[#fields + 1] = ARGV[i]
  end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', unpack(fields))
end
if kind == 'delivered' then
  redis.call('HDEL', KEYS[5], 'failing_since')
  return false
end
if (kind == 'retry' or kind == 'dead') and redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('HSETNX', KEYS[5], 'failing_since', ARGV[7])
  return redis.call('HGET', KEYS[5], 'failing_since')
end
return false

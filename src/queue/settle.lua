#!lua
-- Carry out the decision on one delivery attempt within its partition, atomically: acknowledge
-- and remove the job, and schedule its retry or dead-letter it.
-- KEYS[1]: deliveries stream   KEYS[2]: retry sorted set   KEYS[3]: dead stream
-- ARGV[1]: deliver group   ARGV[2]: job entry id   ARGV[3]: delivered|retry|dead|defer
-- ARGV[4]: due time (ms) for retry/defer   ARGV[5]: job JSON to schedule or dead-letter
-- ARGV[6]: reason   ARGV[7]: now (ms)
-- Returns 1 when the job was still pending here (0: another process settled it first).
local pending = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if pending == 0 then
  return 0
end
local kind = ARGV[3]
if kind == 'retry' or kind == 'defer' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
elseif kind == 'dead' then
  redis.call('XADD', KEYS[3], '*', 'job', ARGV[5], 'reason', ARGV[6], 'failed_at', ARGV[7])
end
return 1

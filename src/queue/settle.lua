-- Carry out the decision on one delivery attempt within its partition, atomically: acknowledge
-- and remove the job; schedule its retry or dead-letter it; forget its wait on the rate limit; and
-- when it heads a lane and is finished, let the lane's next job out (lane.lua). (Parking is
-- park.lua.)
-- KEYS[1]: deliveries stream   KEYS[2]: retry sorted set   KEYS[3]: dead stream
-- KEYS[4]: the job's lane   KEYS[5]: its subscription's lane waiting set
-- KEYS[6]: its subscription's rate waiting set
-- ARGV[1]: deliver group   ARGV[2]: job entry id   ARGV[3]: delivered|retry|dead|drop
-- ARGV[4]: due time (ms) for a retry   ARGV[5]: job JSON to schedule or dead-letter
-- ARGV[6]: reason   ARGV[7]: now (ms)   ARGV[8]: subscription id   ARGV[9]: lane subject ('': none)
-- ARGV[10]: the job's member in the rate waiting set ('': none)
-- Sets `settled`: 1 when the job was still pending here (0: another process settled it first, and
-- nothing else is done).
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

#!lua
-- Park jobs until their slot (on their subscription's rate limit) or their turn (past its
-- in-flight cap), atomically each: acknowledge and remove the job, schedule it, and count it in
-- the subscription's rate waiting set when it waits on the rate limit. A job another process
-- settled first is skipped.
-- KEYS[1]: deliveries stream   KEYS[2]: retry sorted set   KEYS[3]: the rate waiting set
-- ARGV[1]: deliver group; then per job: its entry id, due time (ms), job JSON, member in the
-- waiting set ('': not counted), when it was accepted (ms)
-- Returns how many were parked.
local parked = 0
for i = 2, #ARGV, 5 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    if ARGV[i + 3] ~= '' then
      redis.call('ZADD', KEYS[3], ARGV[i + 4], ARGV[i + 3])
    end
    parked = parked + 1
  end
  redis.call('XDEL', KEYS[1], ARGV[i])
end
return parked

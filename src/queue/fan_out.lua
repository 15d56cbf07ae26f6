#!lua
-- Fan a batch of events out into delivery jobs and acknowledge them, atomically: each event is
-- either still pending (and will be fanned out again by whoever reclaims it) or fully fanned out.
-- KEYS[1]: the events stream   KEYS[2]: the deliveries stream   ARGV[1]: the route group
-- ARGV[2..]: per event: its entry id, its number of jobs n, then n job JSONs
local i = 2
local jobs = 0
while i <= #ARGV do
  local count = tonumber(ARGV[i + 1])
  for j = 1, count do
    redis.call('XADD', KEYS[2], '*', 'job', ARGV[i + 1 + j])
  end
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  jobs = jobs + count
  i = i + 2 + count
end
return jobs

#!lua
-- Fan routed events out into delivery jobs and retire their routing entries, atomically: each
-- event is either still pending routing (and is fanned out again by whoever reclaims it) or fully
-- fanned out.
-- KEYS[1]: the routing stream   KEYS[2]: the deliveries stream   ARGV[1]: the route group
-- ARGV[2..]: per routing entry: its id, its event's entry id, the number n of subscriptions, then
-- n subscription ids
local i = 2
local jobs = 0
while i <= #ARGV do
  local routing, event, count = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  for j = 1, count do
    redis.call('XADD', KEYS[2], '*', 'e', event, 's', ARGV[i + 2 + j])
  end
  redis.call('XACK', KEYS[1], ARGV[1], routing)
  redis.call('XDEL', KEYS[1], routing)
  jobs = jobs + count
  i = i + 3 + count
end
return jobs

-- Fan routed events out into delivery jobs and retire their routing entries, atomically: each
-- event is either still pending routing (and is fanned out again by whoever reclaims it) or fully
-- fanned out. An ordered subscription's job joins its subject's lane (lane.lua).
-- KEYS[1]: the routing stream   KEYS[2]: the deliveries stream   KEYS[3]: the lane counter
-- KEYS[4..]: per ordered target, in order: its lane and its subscription's lane waiting set
-- ARGV[1]: the route group   ARGV[2]: now (ms)
-- ARGV[3..]: per routing entry: its id, its event's entry id, the number n of subscriptions, then
-- n times: a subscription id and its lane's subject ('': unordered)
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

-- Append jobs to a partition's deliveries (replay and redrive), all or none: an ordered
-- subscription's job joins the tail of its subject's lane (lane.lua); a redriven dead letter
-- another redrive moved first is skipped, so concurrent redrives never deliver twice.
-- KEYS[1]: deliveries stream   KEYS[2]: dead stream   KEYS[3]: the lane counter
-- KEYS[4..]: per job with a lane, in order: its lane and its subscription's lane waiting set
-- ARGV[1]: now (ms); then per job: the dead letter it comes from ('': none), e|j, the event entry
-- or job JSON, subscription id, lane subject ('': unordered)
-- Returns how many were appended.
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

#!lua
-- Fan one event out into delivery jobs and acknowledge it, atomically: an event is either still
-- pending (and will be fanned out again by whoever reclaims it) or fully fanned out, never half.
-- KEYS[1]: the events stream   KEYS[2]: the deliveries stream
-- ARGV[1]: the route group   ARGV[2]: the event's entry id   ARGV[3..]: job JSON, one per subscription
for i = 3, #ARGV do
  redis.call('XADD', KEYS[2], '*', 'job', ARGV[i])
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return #ARGV - 2

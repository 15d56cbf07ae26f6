#!lua
-- Compare-and-set of a subscription record: concurrent updates never overwrite each other.
-- KEYS[1]: the subscription hash   KEYS[2]: the subscriptions version counter
-- ARGV[1]: the record as read   ARGV[2]: the new record   ARGV[3]: 1 to forget its failure streak
-- (re-enabled, or pointed at another URL)
if redis.call('HGET', KEYS[1], 'record') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'record', ARGV[2])
  if ARGV[3] == '1' then
    redis.call('HDEL', KEYS[1], 'failing_since')
  end
  redis.call('INCR', KEYS[2])
  return 1
end
return 0

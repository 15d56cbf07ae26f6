#!lua
-- Record a settled attempt in the registry: its delivery-log entry and the subscription's failure
-- streak. Idempotent, so it can be retried after a timeout: an entry whose `key` is already the
-- newest in the log is not appended again, and the streak is set-if-absent or cleared.
-- KEYS[1]: the subscription's attempt log   KEYS[2]: the subscription hash
-- ARGV[1]: delivered|retry|dead|defer   ARGV[2]: now (ms)   ARGV[3]: attempt log length
-- ARGV[4]: the attempt's key (partition, job entry, attempt)
-- ARGV[5..]: attempt log entry as field, value pairs (none: nothing is logged)
-- Returns the time (ms) the subscription has been failing since, or false.
if #ARGV >= 5 then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  local seen = false
  if newest then
    local fields = newest[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'key' and fields[i + 1] == ARGV[4] then
        seen = true
      end
    end
  end
  if not seen then
    local fields = {'key', ARGV[4]}
    for i = 5, #ARGV do
      fields[#fields + 1] = ARGV[i]
    end
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
  end
end
local kind = ARGV[1]
if kind == 'delivered' then
  redis.call('HDEL', KEYS[2], 'failing_since')
  return false
end
if (kind == 'retry' or kind == 'dead') and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSETNX', KEYS[2], 'failing_since', ARGV[2])
  return redis.call('HGET', KEYS[2], 'failing_since')
end
return false

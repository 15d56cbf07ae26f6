-- Records a settled attempt in the registry: its delivery-log entry and the subscription's failure
-- streak (prepended to the scripts that do). Idempotent when `key` is given, so it can be retried
-- after a timeout: an entry whose `key` is already the newest in the log is not appended again,
-- and the streak is set-if-absent or cleared.
-- Returns the time (ms) the subscription has been failing since, or false.
local function record(log, subscription, kind, now_ms, log_len, key, fields)
  if #fields > 0 then
    local seen = false
    if key ~= '' then
      local newest = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
      if newest then
        local stored = newest[2]
        for i = 1, #stored, 2 do
          if stored[i] == 'key' and stored[i + 1] == key then
            seen = true
          end
        end
      end
    end
    if not seen then
      if key ~= '' then
        table.insert(fields, 1, key)
        table.insert(fields, 1, 'key')
      end
      redis.call('XADD', log, 'MAXLEN', '~', log_len, '*', unpack(fields))
    end
  end
  if kind == 'delivered' then
    redis.call('HDEL', subscription, 'failing_since')
    return false
  end
  if (kind == 'retry' or kind == 'dead') and redis.call('EXISTS', subscription) == 1 then
    redis.call('HSETNX', subscription, 'failing_since', now_ms)
    return redis.call('HGET', subscription, 'failing_since')
  end
  return false
end

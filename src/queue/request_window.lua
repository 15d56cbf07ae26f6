#!lua
-- Counts a request in its key's one-second window; the window expires by itself.
-- KEYS[1]: the window counter. Returns the count so far (past the limit: refused by the caller).
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], 2)
end
return count

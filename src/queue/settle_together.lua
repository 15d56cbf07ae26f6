-- On one Redis, where a script may touch the registry and a partition together: settle.lua and
-- the registry record (record.lua) as one atomic script.
-- KEYS[7]: the subscription's attempt log   KEYS[8]: the subscription hash
-- ARGV[11]: attempt log length   ARGV[12..]: attempt log entry as field, value pairs (none: nothing
-- is logged)
-- Returns the time (ms) the subscription has been failing since, or false.
if settled == 0 then
  return false
end
local fields = {}
for i = 12, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
return record(KEYS[7], KEYS[8], ARGV[3], ARGV[7], ARGV[11], '', fields)

-- Record a settled attempt in the registry, on a cluster (where the partition's settle.lua ran
-- first, in another slot): see record.lua.
-- KEYS[1]: the subscription's attempt log   KEYS[2]: the subscription hash
-- ARGV[1]: delivered|retry|dead|drop   ARGV[2]: now (ms)   ARGV[3]: attempt log length
-- ARGV[4]: the attempt's key (partition, job entry, attempt)
-- ARGV[5..]: attempt log entry as field, value pairs (none: nothing is logged)
local fields = {}
for i = 5, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
return record(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], fields)

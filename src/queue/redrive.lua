#!lua
-- Move dead letters back into the deliveries stream; an entry already moved by someone else is
-- skipped, so concurrent redrives never deliver twice.
-- KEYS[1]: dead stream   KEYS[2]: deliveries stream   ARGV: pairs of dead entry id, job JSON
local moved = 0
for i = 1, #ARGV, 2 do
  if redis.call('XDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('XADD', KEYS[2], '*', 'job', ARGV[i + 1])
    moved = moved + 1
  end
end
return moved

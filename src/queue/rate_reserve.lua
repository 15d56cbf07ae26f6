#!lua
-- Reserve delivery slots under a subscription's rate limit and its tenant's, for every process at
-- once: a GCRA without burst, so consecutive slots are at least 1/rate apart and no 1 s window
-- holds more than `rate` of them. Redis's clock is the only clock (processes' clocks may differ).
-- KEYS[1]: the subscription's next free slot   KEYS[2]: the tenant's next free slot
-- ARGV[1]: the subscription's interval (µs, 0: no limit)   ARGV[2]: the tenant's (µs, 0: none)
-- ARGV[3]: how many slots
-- Returns Redis's time, the first slot and the spacing of the rest (µs).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local own, tenant, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local first = now
if own > 0 then
  first = math.max(first, tonumber(redis.call('GET', KEYS[1]) or '0'))
end
if tenant > 0 then
  first = math.max(first, tonumber(redis.call('GET', KEYS[2]) or '0'))
end
local spacing = math.max(own, tenant)
local last = first + spacing * (count - 1)
for _, limit in ipairs({{KEYS[1], own}, {KEYS[2], tenant}}) do
  if limit[2] > 0 then
    local free = last + limit[2]
    -- Forgotten a second after it no longer limits anything.
    local ttl = math.ceil((free - now) / 1000) + 1000
    redis.call('SET', limit[1], string.format('%.0f', free), 'PX', string.format('%.0f', ttl))
  end
end
return {string.format('%.0f', now), string.format('%.0f', first), string.format('%.0f', spacing)}

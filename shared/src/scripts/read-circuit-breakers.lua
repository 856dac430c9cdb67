--[[
  read-circuit-breakers: the circuit breaker of every job type of the queue that
  has one, as takes see it now (an open breaker past its cooldown reads half-open).
  Read-only: O(types).

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)

  Returns: flat array of groups of 11 fields: type, state ('closed' | 'open' |
  'half-open'), calls and failures in the window, openedAt (0 = never),
  reopensAt (0 = not open), then the thresholds as strings: failureRate,
  minCalls, windowMs, cooldownMs, halfOpenProbes.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua
--!include includes/circuit-breaker.lua

local STATE_NAMES = { c = 'closed', o = 'open', h = 'half-open' }
local result = {}
for _, jtype in ipairs(redis.call('SMEMBERS', TYPES_KEY)) do
  local b = cb_load(jtype)
  if b then
    cb_sync(b, NOW)
    local calls, failures = cb_window(b, NOW)
    result[#result + 1] = jtype
    result[#result + 1] = STATE_NAMES[b.state] or 'closed'
    result[#result + 1] = calls
    result[#result + 1] = failures
    result[#result + 1] = b.opened
    result[#result + 1] = b.state == 'o' and b.reopens or 0
    result[#result + 1] = tostring(b.rate)
    result[#result + 1] = tostring(b.min_calls)
    result[#result + 1] = tostring(b.window)
    result[#result + 1] = tostring(b.cooldown)
    result[#result + 1] = tostring(b.probes)
  end
end
return result

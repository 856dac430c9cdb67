--[[
  State changes go to one capped stream per queue. Approximate trimming (~) keeps
  XADD O(1) amortized.
]]
local function emit(event, seq, ...)
  redis.call('XADD', EVENTS_KEY, 'MAXLEN', '~', SETTINGS.events_max_len, '*', 'e', event, 'j', seq, ...)
end

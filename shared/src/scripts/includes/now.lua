--[[
  Redis's own clock is the only clock: lease deadlines and due times compare
  against it, so skew between worker hosts cannot expire a lease early.
  NOW_S is NOW as a string, for hot-path writes: a number handed to redis.call is
  converted with a printf per argument, which the hot path would pay per job.
]]
local NOW, NOW_S
on_call(function()
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  NOW_S = string.format('%d', NOW)
end)

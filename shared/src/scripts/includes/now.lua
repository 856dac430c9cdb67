--[[
  Redis's own clock is the only clock: lease deadlines and due times compare
  against it, so skew between worker hosts cannot expire a lease early.
]]
local NOW
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

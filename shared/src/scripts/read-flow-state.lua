--[[
  read-flow-state: what flow control is doing in a queue now, for the API and the
  dashboard. O(types): no scan of jobs or groups.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)

  Returns: { now, rules, queue, types }
    rules   flat field/value pairs of the limits hash (see includes/limits.lua)
    queue   { allowedNow, nextAt|false }: starts the queue's rule allows now (-1:
            unlimited), and when the next may start if none may
    types   per type with a rule or groups: { type, running, allowedNow, nextAt|false,
            groupsActive, groupsParked, groupsWaitingForSlot }
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua

local function allowance(allowed, wait)
  if allowed >= flow.UNLIMITED then return { -1, false } end
  return { allowed, wait and math.ceil(wait) or false }
end

local types = redis.call('SMEMBERS', TYPES_KEY)
local rules = flow.rules()
local queue = allowance(flow.queue_capacity(types, NOW))
local per_type = {}
for _, jtype in ipairs(types) do
  local ring, parked = FLOW_KEYS.ring(jtype), FLOW_KEYS.parked(jtype)
  if rules['t:' .. jtype] or rules['g:' .. jtype] or redis.call('EXISTS', ring, parked) > 0 then
    local type_allowance = allowance(flow.type_capacity(jtype, NOW))
    per_type[#per_type + 1] = {
      jtype,
      redis.call('ZCARD', index_key('processing', jtype)),
      type_allowance[1],
      type_allowance[2],
      redis.call('ZCARD', ring),
      redis.call('ZCOUNT', parked, '-inf', '(' .. fair.PARKED_ON_SLOT),
      redis.call('ZCOUNT', parked, fair.PARKED_ON_SLOT, '+inf'),
    }
  end
end
return { NOW, redis.call('HGETALL', FLOW_KEYS.limits), queue, per_type }

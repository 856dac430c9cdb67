--[[
  set-flow-limit: sets or removes one flow-control rule of a queue, or one group's
  weight (see includes/limits.lua and includes/groups.lua).

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     what: 'rule' or 'weight'
  ARGV[5]     rule: its field ('q', 't:<type>' or 'g:<type>');
              weight: the job type
  ARGV[6]     rule: '<rate>,<windowMs>,<burst>,<concurrency>' or '' to remove it;
              weight: the group
  ARGV[7]     weight: a number in (0, 1000], or '' to remove it (weight 1)
  Errors (before any write): `rq-invalid-argument <what>`.

  Groups parked under a group rule take their turn again at once (up to 1,000; any
  others when their wait ends or one of their jobs does), so a rule that was loosened
  or removed holds nobody back; the next take applies the new one.
  Returns 1.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua

local function invalid(what) return redis.error_reply('ERR rq-invalid-argument ' .. what) end
local what, target, value, weight = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local TYPE_NAME = '^[a-z0-9][a-z0-9._-]*$'

if what == 'weight' then
  if not string.match(target, TYPE_NAME) then return invalid('type') end
  if value == '' or #value > 512 then return invalid('group') end
  local number = tonumber(weight)
  if weight ~= '' and (not number or number <= 0 or number > 1000) then return invalid('weight') end
  local key = FLOW_KEYS.weights(target)
  if weight == '' then redis.call('HDEL', key, value) else redis.call('HSET', key, value, weight) end
  return 1
end
if what ~= 'rule' then return invalid('what') end

local scope, jtype = string.match(target, '^([tg]):(.+)$')
if target ~= 'q' and not (scope and string.match(jtype, TYPE_NAME)) then return invalid('scope') end
if value ~= '' then
  local rate, window, burst, concurrency = string.match(value, '^(%d+),(%d+),(%d+),(%d+)$')
  if not rate then return invalid('rule') end
  rate, window, burst, concurrency = tonumber(rate), tonumber(window), tonumber(burst), tonumber(concurrency)
  if rate > 1000000 or burst > 1000000 or concurrency > 1000000 then return invalid('rule') end
  if rate > 0 and (window < 1 or window > 86400000 or burst < 1) then return invalid('rule') end
  if rate == 0 and concurrency == 0 then return invalid('rule') end
end

if value == '' then
  redis.call('HDEL', FLOW_KEYS.limits, target)
else
  redis.call('HSET', FLOW_KEYS.limits, target, value)
end

local types = jtype and { jtype } or redis.call('SMEMBERS', TYPES_KEY)
if scope == 'g' then fair.unpark(jtype, redis.call('ZRANGE', FLOW_KEYS.parked(jtype), 0, 999)) end
-- Consumers that a rule held back wait on their markers: let them look again.
for _, t in ipairs(types) do wake_type(t) end
wake_every_type = true
flush_wakeups()
return 1

--[[
  purge-dead-letter: deletes failed jobs (all, or of one type), a bounded chunk
  per call; the caller repeats while `more` is 1.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     job type ('' = every type)
  ARGV[5]     most jobs in this call

  Returns: { purged, more (1|0) }
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua

local types = ARGV[4] ~= '' and { ARGV[4] } or redis.call('SMEMBERS', TYPES_KEY)
local limit = tonumber(ARGV[5])
local purged = 0
for _, jtype in ipairs(types) do
  if purged >= limit then break end
  local key = index_key('failed', jtype)
  local seqs = redis.call('ZRANGE', key, 0, limit - purged - 1)
  if #seqs > 0 then
    -- Parents that blocked jobs still wait on are kept (see trim_jobs).
    local removed = trim_jobs(key, seqs)
    for _, seq in ipairs(removed) do queue_event('removed', seq) end
    purged = purged + #removed
    if #removed < #seqs then break end
  end
end
flush_events()
return { purged, purged >= limit and 1 or 0 }

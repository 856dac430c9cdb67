--[[
  retry-dead-letter: sends failed jobs (all, or of one type) back to pending, a
  bounded chunk per call; the caller repeats while `more` is 1.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     job type ('' = every type)
  ARGV[5]     most jobs in this call

  Returns: { retried, more (1|0) }
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/transitions.lua

local types = ARGV[4] ~= '' and { ARGV[4] } or redis.call('SMEMBERS', TYPES_KEY)
local limit = tonumber(ARGV[5])
local retried = 0
for _, jtype in ipairs(types) do
  if retried >= limit then break end
  local seqs = redis.call('ZRANGE', index_key('failed', jtype), 0, limit - retried - 1)
  for _, seq in ipairs(seqs) do requeue_final(seq, jtype, 'failed') end
  retried = retried + #seqs
end
flush_changes()
flush_wakeups()
return { retried, retried >= limit and 1 or 0 }

--[[
  count-jobs: job counts per state and type, O(states x types) ZCARDs, never a
  scan of jobs.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4..]   the states to count

  Returns: flat array of (type, count per state in ARGV order...) groups.
]]
--!include includes/keys.lua
--!include includes/scores.lua
--!include includes/pending.lua

local result = {}
for _, jtype in ipairs(redis.call('SMEMBERS', TYPES_KEY)) do
  result[#result + 1] = jtype
  for i = 4, #ARGV do
    result[#result + 1] = ARGV[i] == 'pending' and pending_count(jtype) or redis.call('ZCARD', index_key(ARGV[i], jtype))
  end
end
return result

--[[
  retry-dead-letter: sends failed jobs of one type back with attempts reset, a
  bounded chunk per call. A job with dependencies is re-evaluated like a single
  retry: unfinished parents block it again, and one whose parent is still failed
  is skipped (it stays failed). Skipped jobs stay at the head of the index, so
  the caller passes how many it has skipped so far as the offset.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     job type
  ARGV[5]     most jobs to examine in this call
  ARGV[6]     offset: failed jobs of this type skipped by earlier calls

  Returns: { retried, skipped }; fewer examined than asked means the type is done.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua
--!include includes/failure.lua
--!include includes/dependencies.lua

local jtype, limit, offset = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local retried, skipped = 0, 0
for _, seq in ipairs(redis.call('ZRANGE', index_key('failed', jtype), offset, offset + limit - 1)) do
  local job = redis.call('HMGET', job_key(seq), 'dp', 'op')
  if requeue_with_parents(seq, jtype, 'failed', job[1] or nil, job[2] == 'i') then
    retried = retried + 1
  else
    skipped = skipped + 1
  end
end
flush_changes()
flush_wakeups()
return { retried, skipped }

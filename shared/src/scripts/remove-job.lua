--[[
  remove-job: deletes a job in a final state, with its log.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     seq

  Returns: { code, state }: 1 removed; -1 no such job; -3 illegal transition
  (the job is not final; state = its current state); -7 jobs that depend on it have not finished
  on its outcome.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua

local seq = ARGV[4]
local job = redis.call('HMGET', job_key(seq), 's', 't')
if not job[1] then return { -1, '' } end
if not RETENTION[job[1]] then return { -3, job[1] } end
-- Deleting a parent that blocked jobs still wait on would strand them.
if has_blocked_children(seq) then return { -7, job[1] } end
redis.call('ZREM', index_key(job[1], job[2]), seq)
delete_jobs({ seq })
emit('removed', seq)
return { 1, job[1] }

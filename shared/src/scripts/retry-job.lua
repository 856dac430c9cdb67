--[[
  retry-job: sends a failed (dead-lettered) or canceled job back to pending with
  its attempts reset.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     seq

  Returns: { code, state }: 1 retried (state pending); -1 no such job; -3 illegal
  transition (state = its current state).
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/transitions.lua

local seq = ARGV[4]
local job = redis.call('HMGET', job_key(seq), 's', 't')
if not job[1] then return { -1, '' } end
if job[1] ~= 'failed' and job[1] ~= 'canceled' then return { -3, job[1] } end
requeue_final(seq, job[2], job[1])
flush_changes()
flush_wakeups()
return { 1, 'pending' }

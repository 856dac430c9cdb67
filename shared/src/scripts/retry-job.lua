--[[
  retry-job: sends a failed (dead-lettered) or canceled job back with its attempts
  reset. A job with dependencies is re-evaluated against its parents: unfinished
  parents block it again; a parent that is still failed refuses the retry. With
  cascade, dependents that failed because of this job are re-armed too, down the
  graph, in bounded chunks (call again with seq '' while `more` is 1).

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     seq ('' = only continue a cascade)
  ARGV[5]     '1' to cascade to dependents

  Returns: { code, state, more }: 1 retried (state pending or blocked); -1 no such
  job; -3 illegal transition (state = its current state); -6 a parent is failed
  (state = that parent's seq).
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

local seq, cascade = ARGV[4], ARGV[5] == '1'
local code, state = 1, ''
if seq ~= '' then
  local job = redis.call('HMGET', job_key(seq), 's', 't', 'dp', 'op')
  if not job[1] then return { -1, '', 0 } end
  if job[1] ~= 'failed' and job[1] ~= 'canceled' then return { -3, job[1], 0 } end
  local new_state, failed_parent = requeue_with_parents(seq, job[2], job[1], job[3] or nil, job[4] == 'i')
  if not new_state then return { -6, failed_parent, 0 } end
  state = new_state
  if cascade then redis.call('RPUSH', REARM_KEY, seq) end
end
local more = rearm_dependents(100)
flush_changes()
flush_wakeups()
return { code, state, more and 1 or 0 }

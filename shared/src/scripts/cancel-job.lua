--[[
  cancel-job: cancels a job in any non-final state. A processing job is canceled at
  once too; its worker learns it at the next lease renewal (and aborts), and its
  late result is rejected by the fencing check.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     seq

  Returns: { code, state }: 1 canceled (state = the state it was canceled from);
  -1 no such job; -3 illegal transition (state = its final state).
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
--!include includes/expiry.lua

local seq = ARGV[4]
local jk = job_key(seq)
local job = redis.call('HMGET', jk, 's', 't', 'p', 'po', 'g')
local state, jtype = job[1], job[2]
if not state then return { -1, '' } end
if RETENTION[state] then return { -3, state } end
if state == 'pending' then
  dequeue_pending(seq, jtype, tonumber(job[3]) or 5, tonumber(job[4]) or tonumber(seq), job[5])
elseif state == 'processing' then
  fair.leave_processing(seq, jtype, job[5])
else
  redis.call('ZREM', index_key(state, jtype), seq)
end
if state == 'blocked' then stop_waiting(seq, redis.call('HGET', jk, 'dp')) end
-- Canceled before it started: its expiry is over too.
if state ~= 'processing' then expiry.forget(seq) end
redis.call('HSET', jk, 's', 'canceled', 'f', NOW)
enter_final(seq, jtype, 'canceled', NOW)
stat_count('canceled', 1)
emit('canceled', seq, 'from', state)
if resolve_dependents(100, NOW) then wake_every_type = true end
flush_changes()
trim_by_count()
flush_stats(NOW)
flush_wakeups()
return { 1, state }

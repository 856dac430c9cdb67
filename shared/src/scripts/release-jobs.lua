--[[
  release-jobs: a worker shutting down hands its unfinished jobs back. The attempt
  does not count (the job did nothing wrong) and the job keeps its place at the
  front of its priority band, ahead of jobs added after it, and its waiting start.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4..]   pairs of seq, token

  Returns: flat array of (code, state) pairs: 1 released (state pending); -1 job
  gone; -2 lease no longer held (nothing changed).
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua
--!include includes/lease.lua

local result = {}
for i = 4, #ARGV, 2 do
  local seq, token = ARGV[i], ARGV[i + 1]
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 's', 'tk', 't', 'a', 'p', 'g')
  local code = lease_code(job[1], job[2], token)
  if code ~= 1 then
    result[#result + 1] = code
    result[#result + 1] = job[1] or ''
  else
    fair.leave_processing(seq, job[3], job[6])
    -- Its waiting start (`pa`, else its due or creation time) stays: it has been
    -- waiting since then, which the oldest-pending gauge and wait stats must show.
    redis.call('HSET', jk, 's', 'pending', 'a', math.max((tonumber(job[4]) or 1) - 1, 0))
    redis.call('HDEL', jk, 'po')
    enqueue_pending(seq, job[3], tonumber(job[5]) or 5, tonumber(seq), job[6])
    emit('pending', seq, 'reason', 'released')
    result[#result + 1] = 1
    result[#result + 1] = 'pending'
  end
end
flush_changes()
flush_wakeups()
return result

--[[
  extend-leases: one heartbeat renews every lease a worker holds in this queue.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     lease duration in ms
  ARGV[5..]   pairs of seq, token

  Returns: flat array of one (code, state) pair per lease: 1 renewed; -1 job gone;
  -2 lease lost, with the job's current state (e.g. canceled: the worker aborts).
]]
--!include includes/keys.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/lease.lua

local deadline_score = lease_score(NOW + tonumber(ARGV[4]))
local result = {}
for i = 5, #ARGV, 2 do
  local seq, token = ARGV[i], ARGV[i + 1]
  local job = redis.call('HMGET', job_key(seq), 's', 'tk', 't')
  local code = lease_code(job[1], job[2], token)
  if code == 1 then redis.call('ZADD', index_key('processing', job[3]), 'XX', deadline_score, seq) end
  result[#result + 1] = code
  result[#result + 1] = job[1] or ''
end
return result

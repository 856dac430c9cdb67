--[[
  update-progress: records a running job's progress, fenced by its lease token.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     seq
  ARGV[5]     token
  ARGV[6]     percent 0-100
  ARGV[7]     detail JSON ('' = none)

  Returns: { code, state }: 1 recorded; -1 job gone; -2 lease lost.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/events.lua
--!include includes/lease.lua

local seq, token, percent, detail = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local jk = job_key(seq)
local job = redis.call('HMGET', jk, 's', 'tk')
local code = lease_code(job[1], job[2], token)
if code ~= 1 then return { code, job[1] or '' } end
if detail ~= '' then
  redis.call('HSET', jk, 'pg', percent, 'pd', detail)
  emit('progress', seq, 'progress', percent, 'detail', detail)
else
  redis.call('HSET', jk, 'pg', percent)
  redis.call('HDEL', jk, 'pd')
  emit('progress', seq, 'progress', percent)
end
return { 1, 'processing' }

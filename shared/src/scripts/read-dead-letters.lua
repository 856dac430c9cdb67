--[[
  read-dead-letters: the newest N dead-lettered (failed) jobs of a queue across
  its types, with the fields that group them. O(types x N) index reads and N
  hash reads, never a scan of jobs.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     N, 1-1000

  Returns: flat array of N groups (seq, type, failure reason, finished ms, errors JSON),
  newest first; missing fields come back as ''.
]]
--!include includes/keys.lua

local limit = tonumber(ARGV[4])
if not limit or limit < 1 or limit > 1000 or limit % 1 ~= 0 then
  return redis.error_reply('ERR rq-invalid-argument limit')
end

local newest = {}
for _, jtype in ipairs(redis.call('SMEMBERS', TYPES_KEY)) do
  local rows = redis.call('ZREVRANGE', index_key('failed', jtype), 0, limit - 1, 'WITHSCORES')
  for i = 1, #rows, 2 do newest[#newest + 1] = { rows[i], tonumber(rows[i + 1]) } end
end
table.sort(newest, function(a, b) return a[2] > b[2] end)

local result = {}
for i = 1, math.min(limit, #newest) do
  local seq = newest[i][1]
  local fields = redis.call('HMGET', job_key(seq), 't', 'fr', 'f', 'e')
  result[#result + 1] = seq
  for j = 1, 4 do result[#result + 1] = fields[j] or '' end
end
return result

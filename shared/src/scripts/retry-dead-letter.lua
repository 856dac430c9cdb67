--[[
  retry-dead-letter: sends failed jobs of one type back with attempts reset, a
  bounded chunk per call. A job with dependencies is re-evaluated like a single
  retry: unfinished parents block it again, and one whose parent is still failed
  is skipped (it stays failed). Chunks follow a score cursor, not an offset, so
  jobs that retention deletes meanwhile cannot make the walk skip others.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     job type
  ARGV[5]     most jobs to examine in this call
  ARGV[6]     cursor: the score of the last job examined by the previous call
              ('' to start at the oldest)

  Returns: { retried, skipped, cursor }; cursor false means the type is done.
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

local jtype, limit, cursor = ARGV[4], tonumber(ARGV[5]), ARGV[6]
if not limit or limit < 1 or limit % 1 ~= 0 then return redis.error_reply('ERR rq-invalid-argument limit') end
if cursor ~= '' and not tonumber(cursor) then return redis.error_reply('ERR rq-invalid-argument cursor') end
local retried, skipped = 0, 0
local entries = redis.call('ZRANGEBYSCORE', index_key('failed', jtype), cursor == '' and '-inf' or '(' .. cursor,
  '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #entries, 2 do
  local seq = entries[i]
  local job = redis.call('HMGET', job_key(seq), 'dp', 'op')
  if requeue_with_parents(seq, jtype, 'failed', job[1] or nil, job[2] == 'i') then
    retried = retried + 1
  else
    skipped = skipped + 1
  end
end
flush_changes()
flush_wakeups()
return { retried, skipped, #entries / 2 == limit and entries[#entries] or false }

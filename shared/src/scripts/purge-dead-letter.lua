--[[
  purge-dead-letter: deletes failed jobs of one type, a bounded chunk per call.
  Parents that blocked jobs still wait on are skipped (kept). Chunks follow a
  score cursor, not an offset, so jobs deleted meanwhile cannot make it skip others.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     job type
  ARGV[5]     most jobs to examine in this call
  ARGV[6]     cursor: the score of the last job examined by the previous call
              ('' to start at the oldest)

  Returns: { purged, skipped, cursor }; cursor false means the type is done.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua

local jtype, limit, cursor = ARGV[4], tonumber(ARGV[5]), ARGV[6]
if not limit or limit < 1 or limit % 1 ~= 0 then return redis.error_reply('ERR rq-invalid-argument limit') end
if cursor ~= '' and not tonumber(cursor) then return redis.error_reply('ERR rq-invalid-argument cursor') end
local key = index_key('failed', jtype)
local entries = redis.call('ZRANGEBYSCORE', key, cursor == '' and '-inf' or '(' .. cursor, '+inf',
  'WITHSCORES', 'LIMIT', 0, limit)
local seqs = {}
for i = 1, #entries, 2 do seqs[#seqs + 1] = entries[i] end
local removed = #seqs > 0 and trim_jobs(key, seqs) or {}
for _, seq in ipairs(removed) do queue_event('removed', seq) end
flush_events()
return { #removed, #seqs - #removed, #seqs == limit and entries[#entries] or false }

--[[
  purge-dead-letter: deletes failed jobs of one type, a bounded chunk per call.
  Parents that blocked jobs still wait on are skipped (kept); they stay at the
  head of the index, so the caller passes how many it has skipped so far.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     job type
  ARGV[5]     most jobs to examine in this call
  ARGV[6]     offset: failed jobs of this type skipped by earlier calls

  Returns: { purged, skipped }; fewer examined than asked means the type is done.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua

local jtype, limit, offset = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local key = index_key('failed', jtype)
local seqs = redis.call('ZRANGE', key, offset, offset + limit - 1)
local removed = #seqs > 0 and trim_jobs(key, seqs) or {}
for _, seq in ipairs(removed) do queue_event('removed', seq) end
flush_events()
return { #removed, #seqs - #removed }

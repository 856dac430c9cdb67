--[[
  read-queue-gauges: what operators and autoscalers watch, in one call and without
  a scan of jobs: counts per state and type, due scheduled jobs not promoted yet,
  the oldest pending job's waiting start, the paused flag, and the queue's
  accounted bytes (what its memory budget counts, see includes/queue-bytes.lua).
  Cost: O(types x (states + 10 x log n)).

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4..]   the states to count

  Returns: { counts, dueScheduled, oldestPendingSinceMs|false, paused (1|0), nowMs, bytes }
    counts: flat array of (type, count per state in ARGV order...) groups
]]
--!include includes/keys.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/pending.lua

local counts, due, oldest = {}, 0, false
for _, jtype in ipairs(redis.call('SMEMBERS', TYPES_KEY)) do
  counts[#counts + 1] = jtype
  for i = 4, #ARGV do
    counts[#counts + 1] = ARGV[i] == 'pending' and pending_count(jtype) or redis.call('ZCARD', index_key(ARGV[i], jtype))
  end
  due = due + redis.call('ZCOUNT', index_key('scheduled', jtype), '-inf', NOW)
  -- The head of each priority band is that band's longest-waiting job (with and without a group).
  for _, index in ipairs({ jtype, FLOW_KEYS.grouped_index(jtype) }) do
    for _, head in ipairs(pending_band_heads(index)) do
      local job = redis.call('HMGET', job_key(head), 'pa', 'ra', 'c')
      local since = tonumber(job[1]) or tonumber(job[2]) or tonumber(job[3])
      if since and (not oldest or since < oldest) then oldest = since end
    end
  end
end
local meta = redis.call('HMGET', META_KEY, 'paused', QUEUE_BYTES_FIELD)
return { counts, due, oldest, meta[1] and 1 or 0, NOW, tonumber(meta[2]) or 0 }

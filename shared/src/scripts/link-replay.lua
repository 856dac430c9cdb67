--[[
  link-replay: records that a job replays another, on both jobs: `rp` on the
  replay (the original's seq) and `rl` on the original (its replays' seqs, newest
  first, at most ARGV[7]). Either job may be gone by now; what remains is linked.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix `rq:{queue}:`
  ARGV[2..3]  settings, random seed (unused)
  ARGV[4]     the replay's seq
  ARGV[5]     the original's seq
  ARGV[6]     unused
  ARGV[7]     how many replays the original lists

  Returns: 1, or -1 when the replay no longer exists (nothing written).
]]
--!include includes/keys.lua

local replay, original, keep = ARGV[4], ARGV[5], tonumber(ARGV[7])
if not string.match(replay or '', '^%d+$') or not string.match(original or '', '^%d+$') or not keep or keep < 1 then
  return redis.error_reply('ERR rq-invalid-argument link-replay')
end
local replay_key = job_key(replay)
if redis.call('EXISTS', replay_key) == 0 then return -1 end
redis.call('HSET', replay_key, 'rp', original)

local original_key = job_key(original)
if redis.call('EXISTS', original_key) == 1 then
  local listed = { replay }
  local current = redis.call('HGET', original_key, 'rl')
  if current then
    for seq in string.gmatch(current, '[^,]+') do
      if #listed >= keep then break end
      if seq ~= replay then listed[#listed + 1] = seq end
    end
  end
  redis.call('HSET', original_key, 'rl', table.concat(listed, ','))
end
return 1

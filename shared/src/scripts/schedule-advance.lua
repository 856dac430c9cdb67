--[[
  schedule-advance: the claim of a firing round. For each schedule, a compare-and-set
  of its next due time and version: when both are still what the round read, the
  next due time moves on and the runs the round started are recorded; when another
  round (another control plane) moved it first, only the jobs this round created
  itself are recorded (the other round decided the same due times, or skipped one
  this round started: then the job exists and is shown). The jobs were added before,
  through add-jobs with an idempotency key per schedule and due time, so a round that
  dies before this call is repeated by the next one without a second job.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     runs kept per schedule (1-1000)
  ARGV[5]     number of blocks (1-1000), then each block:
              mode ('a' advance, 'r' record only: a run by hand), schedule id,
              expected next due ms, expected version ('' and '' with 'r'),
              new next due ms ('' = finished), misfired count, overlap-skipped count,
              error message ('' = none), job count n, then n × (seq, due ms,
              created 1|0, by hand 1|0)

  Returns: one code per block: 1 advanced (or recorded), 0 stale (the schedule had
  moved on: only the jobs this call created were recorded), -1 no such schedule.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua

local function invalid(what) return redis.error_reply('ERR rq-invalid-argument ' .. what) end
local function is_ms(value) return string.match(value, '^%d+$') ~= nil and #value <= 16 end
local function is_count(value)
  local n = tonumber(value)
  return n ~= nil and n >= 0 and n % 1 == 0
end

local keep, blocks = tonumber(ARGV[4]), tonumber(ARGV[5])
if not keep or keep < 1 or keep > 1000 or keep % 1 ~= 0 then return invalid('keep') end
if not blocks or blocks < 1 or blocks > 1000 or blocks % 1 ~= 0 then return invalid('blocks') end

-- Everything is checked before the first write: Redis does not roll a script back.
local parsed, at = {}, 6
for b = 1, blocks do
  local mode, id, expected, version = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  local new_next, misfired, overlap, err, n = ARGV[at + 4], ARGV[at + 5], ARGV[at + 6], ARGV[at + 7], ARGV[at + 8]
  if mode ~= 'a' and mode ~= 'r' then return invalid('mode of block ' .. b) end
  if not id or #id < 1 or #id > 64 or not string.match(id, '^[A-Za-z0-9][A-Za-z0-9_.%-]*$') then
    return invalid('id of block ' .. b)
  end
  if mode == 'a' and (not is_ms(expected) or not is_ms(version)) then return invalid('expected of block ' .. b) end
  if not new_next or (new_next ~= '' and not is_ms(new_next)) then return invalid('next of block ' .. b) end
  if not is_count(misfired) or not is_count(overlap) or not err then return invalid('counts of block ' .. b) end
  if not is_count(n) or tonumber(n) > 1000 then return invalid('jobs of block ' .. b) end
  local jobs = {}
  for j = 1, tonumber(n) do
    local base = at + 9 + (j - 1) * 4
    local seq, due, created, manual = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
    if not seq or not is_ms(seq) or not is_ms(due) or (created ~= '1' and created ~= '0')
      or (manual ~= '1' and manual ~= '0') then
      return invalid('job ' .. j .. ' of block ' .. b)
    end
    jobs[j] = { seq = seq, due = due, created = created == '1', manual = manual == '1' }
  end
  parsed[b] = { mode = mode, id = id, expected = expected, version = version, new_next = new_next,
    misfired = tonumber(misfired), overlap = tonumber(overlap), err = err, jobs = jobs }
  at = at + 9 + tonumber(n) * 4
end

local replies = {}
local totals = { fired = 0, trig = 0, mis = 0, ovl = 0 }
for b, block in ipairs(parsed) do
  local sk = SCHEDULE_KEYS.of(block.id)
  local current = redis.call('HMGET', sk, 'v', 'n')
  if not current[1] then
    replies[b] = -1
  else
    local fresh = block.mode == 'r' or (current[1] == block.version and current[2] == block.expected)
    local runs_key = SCHEDULE_KEYS.runs(block.id)
    local fired, trig = 0, 0
    for _, job in ipairs(block.jobs) do
      if fresh or job.created then
        local member = job.manual and (job.seq .. ':m') or job.seq
        -- NX: a run the other round recorded already is not counted twice.
        if redis.call('ZADD', runs_key, 'NX', job.due, member) == 1 then
          if job.manual then trig = trig + 1 else fired = fired + 1 end
        end
      end
    end
    if #block.jobs > 0 then redis.call('ZREMRANGEBYRANK', runs_key, 0, -(keep + 1)) end
    if fired > 0 then redis.call('HINCRBY', sk, 'runs', fired) end
    if trig > 0 then redis.call('HINCRBY', sk, 'trig', trig) end
    totals.fired, totals.trig = totals.fired + fired, totals.trig + trig
    if block.mode == 'a' and fresh then
      if block.new_next == '' then
        redis.call('HDEL', sk, 'n')
        redis.call('HSET', sk, 'done', '1')
        redis.call('ZREM', SCHEDULE_KEYS.due, block.id)
      else
        redis.call('HSET', sk, 'n', block.new_next)
        redis.call('ZADD', SCHEDULE_KEYS.due, block.new_next, block.id)
      end
      if block.misfired > 0 then redis.call('HINCRBY', sk, 'mis', block.misfired) end
      if block.overlap > 0 then redis.call('HINCRBY', sk, 'ovl', block.overlap) end
      totals.mis, totals.ovl = totals.mis + block.misfired, totals.ovl + block.overlap
    end
    if block.err ~= '' then redis.call('HSET', sk, 'err', block.err, 'erra', NOW) end
    replies[b] = fresh and 1 or 0
  end
end
for field, count in pairs(totals) do
  if count > 0 then redis.call('HINCRBY', SCHEDULE_KEYS.stats, field, count) end
end
return replies

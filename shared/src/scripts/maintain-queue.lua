--[[
  maintain-queue: the queue's housekeeping, safe for any number of processes to run
  at once (every step re-checks Redis state), so there is no single point of
  failure. Each step is bounded per call; callers repeat while `more` is 1.
    1. expired leases: the worker died or stalled; the attempt fails with reason
       lease-expired and follows the backoff schedule (or dead-letters). Only a
       job whose hash says `processing` has a lease: an entry for a job in another
       state is a stale index entry, repaired from the hash (never the reverse)
    2. jobs past their expiry that nobody took are canceled (reason expired; see
       includes/expiry.lua), then due scheduled jobs become pending
    3. finished parents' blocked dependents are resolved, and cascading retries
       left half-way are continued (see dependencies.lua)
    4. final jobs older than their retention age are deleted (parents that blocked
       jobs still wait on are kept)
    5. flow control's own housekeeping (fair.maintain in includes/groups.lua)

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random number in [0,1) for backoff jitter
  ARGV[4]     most items per step

  Returns: { recovered, promoted, trimmed, more (1|0), nextDueMs|false, expired }
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
--!include includes/take.lua
--!include includes/repair.lua

-- The script's own locals live in a function: Lua allows a chunk 200 locals, and the
-- includes above use most of them.
local function maintain()
  local limit = tonumber(ARGV[4])
  local types = redis.call('SMEMBERS', TYPES_KEY)

  local recovered = 0
  for _, jtype in ipairs(types) do
    if recovered >= limit then break end
    local key = index_key('processing', jtype)
    local expired = redis.call('ZRANGEBYSCORE', key, '-inf', NOW, 'LIMIT', 0, limit - recovered)
    for _, seq in ipairs(expired) do
      local job = redis.call('HMGET', job_key(seq), 's', 'w', 'a', 'g')
      if job[1] == 'processing' then
        fair.leave_processing(seq, jtype, job[4])
        fail_attempt(seq, jtype, NOW, {
          message = 'lease expired: the worker stopped renewing it (crashed, killed or stalled)',
          reason = 'lease-expired',
          workerId = job[2] or '',
        }, false, 'lease-expired')
      else
        defer_remove(key, seq)
        -- The index disagrees with the job: the hash is the truth, the entry is repaired.
        if job[1] then repair_index_entry(seq, jtype, job[1]) end
      end
    end
    recovered = recovered + #expired
  end

  -- Expired jobs nobody took are canceled first: a due scheduled one must not become pending.
  local expired_jobs = expiry.expire_due(NOW, limit)
  local promoted = promote_due(types, NOW, limit)
  fair.maintain(types, NOW, math.min(limit, 100))
  local resolving = resolve_dependents(math.min(limit, 100), NOW)
  -- A cascading retry whose caller stopped half-way is finished here.
  local rearming = rearm_dependents(math.min(limit, 100))

  -- Bounded by entries examined, not deleted: protected parents cost budget too.
  local trimmed, trim_budget = 0, limit
  for state, names in pairs(RETENTION) do
    local cutoff = NOW - SETTINGS[names[2]]
    for _, jtype in ipairs(types) do
      if trim_budget <= 0 then break end
      local key = index_key(state, jtype)
      local deleted, examined = trim_oldest(key, retention_bound(key, cutoff), trim_budget)
      trimmed = trimmed + deleted
      trim_budget = trim_budget - examined
    end
  end

  -- Jobs retention held for the archiver are over the count once it caught up, even in
  -- a queue where nothing finishes any more: every final index is a candidate.
  if read_archive_hold() then
    for state in pairs(RETENTION) do
      for _, jtype in ipairs(types) do trim_candidates[index_key(state, jtype)] = { state, jtype } end
    end
  end

  flush_changes()
  trim_by_count()
  flush_stats(NOW)
  flush_wakeups()
  local more = (recovered >= limit or promoted >= limit or expired_jobs >= limit or trim_budget <= 0 or resolving or rearming) and 1 or 0
  return { recovered, promoted, trimmed, more, next_due(types), expired_jobs }
end
return maintain()

--[[
  The state transitions every script shares: into pending, into scheduled, into a
  final state. They keep the per-state indexes, the events stream, retention and
  wake-ups consistent; callers set the job hash fields of the new state.
  Requires keys, settings, scores, events, stats.
]]
local wake_pending = false
local earliest_due = nil
local trim_candidates = {}

local function enqueue_pending(seq, jtype, priority, order)
  redis.call('ZADD', index_key('pending', jtype), pending_score(priority, order), seq)
  wake_pending = true
end

local function next_order()
  return redis.call('INCR', SEQ_KEY)
end

local function enqueue_scheduled(seq, jtype, run_at)
  redis.call('ZADD', index_key('scheduled', jtype), time_score(run_at, seq), seq)
  if earliest_due == nil or run_at < earliest_due then earliest_due = run_at end
end

local RETENTION = {
  completed = { 'keep_completed', 'completed_age_ms' },
  failed = { 'keep_failed', 'failed_age_ms' },
  canceled = { 'keep_canceled', 'canceled_age_ms' },
}

local function delete_job(seq)
  redis.call('DEL', job_key(seq), log_key(seq))
end

-- Moves a job (already removed from its previous index) into a final state index.
local function enter_final(seq, jtype, state, now)
  redis.call('ZADD', index_key(state, jtype), time_score(now, seq), seq)
  trim_candidates[state .. ':' .. jtype] = { state, jtype }
end

-- Retention by count, per type: drops the oldest final jobs past the limit. Bounded
-- per call so one call never blocks Redis; later calls finish the job.
local function trim_by_count()
  for _, candidate in pairs(trim_candidates) do
    local key = index_key(candidate[1], candidate[2])
    local keep = SETTINGS[RETENTION[candidate[1]][1]]
    local excess = redis.call('ZCARD', key) - keep
    if excess > 0 then
      local oldest = redis.call('ZPOPMIN', key, math.min(excess, 1000))
      for i = 1, #oldest, 2 do delete_job(oldest[i]) end
    end
  end
end

-- Wakes blocked consumers: '0' (score 0) means "jobs are pending now"; 'd' carries
-- the earliest due time of scheduled jobs (LT keeps the earliest).
local function flush_wakeups()
  if wake_pending then redis.call('ZADD', MARKER_KEY, 0, '0') end
  if earliest_due ~= nil then redis.call('ZADD', MARKER_KEY, 'LT', earliest_due, 'd') end
end

-- Sends a failed or canceled job back to pending with its attempts reset; its error
-- history stays for the record. The caller checked the state.
local function requeue_final(seq, jtype, state)
  local jk = job_key(seq)
  redis.call('ZREM', index_key(state, jtype), seq)
  redis.call('HSET', jk, 's', 'pending', 'a', 0, 'pa', NOW)
  redis.call('HDEL', jk, 'f', 'fr', 'r', 'pg', 'pd')
  enqueue_pending(seq, jtype, tonumber(redis.call('HGET', jk, 'p')) or 5, next_order())
  emit('pending', seq, 'reason', 'retried')
end

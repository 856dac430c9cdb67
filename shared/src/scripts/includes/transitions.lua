--[[
  The state transitions every script shares: into pending, into scheduled, into a
  final state. They keep the per-state indexes, the events stream, retention and
  wake-ups consistent; callers set the job hash fields of the new state.
  Requires keys, settings, scores, events, stats.

  Index writes are deferred and flushed once per script call (flush_changes): one
  ZADD or ZREM per index carries a whole batch, which is most of what makes the
  hot path cheap. Removals flush before additions, so a job that leaves and
  re-enters one index in the same call ends up in it.
]]
--!include includes/pending.lua
--!include includes/queue-bytes.lua

-- Wake-ups go to the queue's marker (consumers of every type) and to the marker of
-- each type concerned (consumers of some types), so a consumer that cannot run a
-- job never swallows the wake-up meant for one that can.
local WAKE_TYPES, DUE_BY_TYPE, wake_every_type, earliest_due
local function wake_type(jtype) WAKE_TYPES[jtype] = true end
local trim_candidates, INDEX_ADDS, INDEX_REMOVALS

local function defer_add(key, score, member)
  local args = INDEX_ADDS[key]
  if not args then
    args = {}
    INDEX_ADDS[key] = args
  end
  args[#args + 1] = score
  args[#args + 1] = member
end

local function defer_remove(key, member)
  local members = INDEX_REMOVALS[key]
  if not members then
    members = {}
    INDEX_REMOVALS[key] = members
  end
  members[#members + 1] = member
end

-- unpack() is bounded by Lua's C stack: send long argument lists in slices.
local function call_in_slices(command, key, args)
  for i = 1, #args, 4000 do
    redis.call(command, key, unpack(args, i, math.min(i + 3999, #args)))
  end
end

-- Other includes register what they defer too, and what a job entering a final
-- state must do (see dependencies.lua).
local before_flush = {}
local on_final = {}

--!include includes/limits.lua
--!include includes/groups.lua

local function flush_changes()
  for _, flush in ipairs(before_flush) do flush() end
  flush_pending()
  for key, members in pairs(INDEX_REMOVALS) do call_in_slices('ZREM', key, members) end
  for key, args in pairs(INDEX_ADDS) do call_in_slices('ZADD', key, args) end
  INDEX_ADDS, INDEX_REMOVALS = {}, {}
  flush_events()
end

-- `order` is the job's seq (fresh or released jobs) or a new order number, kept in
-- `po` so the job's shard can be found again. `group` is the job's group key, false
-- for none, or nil to read it from the job.
local function enqueue_pending(seq, jtype, priority, order, group)
  if order ~= tonumber(seq) then redis.call('HSET', job_key(seq), 'po', order) end
  if group == nil then group = redis.call('HGET', job_key(seq), 'g') end
  if group then
    fair.enqueue(seq, jtype, group, pending_score(priority, order))
  else
    pending_add(seq, jtype, pending_score(priority, order))
  end
  wake_type(jtype)
end

-- Takes a pending job out of pending (cancel, expiry, debounce): out of its group's lane
-- too when it has one, so no turn ever finds it there. `order` is its `po` field or seq.
local function dequeue_pending(seq, jtype, priority, order, group)
  if group then
    fair.remove(seq, jtype, group, priority, order)
  else
    pending_remove(seq, jtype, priority, order)
  end
end

local order_base, order_left
on_call(function()
  WAKE_TYPES, DUE_BY_TYPE, wake_every_type, earliest_due = {}, {}, false, nil
  trim_candidates, INDEX_ADDS, INDEX_REMOVALS = {}, {}, {}
  order_base, order_left = 0, 0
end)
-- Order numbers come from the queue's counter; reserve them in blocks to spare INCRs.
local function reserve_orders(count)
  order_base = redis.call('INCRBY', SEQ_KEY, count) - count
  order_left = count
end

local function next_order()
  if order_left == 0 then reserve_orders(1) end
  order_base = order_base + 1
  order_left = order_left - 1
  return order_base
end

local function enqueue_scheduled(seq, jtype, run_at)
  defer_add(index_key('scheduled', jtype), time_score(run_at, seq), seq)
  if earliest_due == nil or run_at < earliest_due then earliest_due = run_at end
  if not DUE_BY_TYPE[jtype] or run_at < DUE_BY_TYPE[jtype] then DUE_BY_TYPE[jtype] = run_at end
end

local RETENTION = {
  completed = { 'keep_completed', 'completed_age_ms' },
  failed = { 'keep_failed', 'failed_age_ms' },
  canceled = { 'keep_canceled', 'canceled_age_ms' },
}


-- Every deletion of jobs goes through here, so the queue's accounted bytes stay
-- right. Every job has a non-empty payload (at least '{}'), so a payload of length 0
-- means a job already gone, which frees nothing.
local function delete_jobs(seqs)
  local keys = {}
  local freed = 0
  for _, seq in ipairs(seqs) do
    local jk = job_key(seq)
    local payload_bytes = redis.call('HSTRLEN', jk, 'd')
    if payload_bytes > 0 then freed = freed + SETTINGS.job_overhead_bytes + payload_bytes end
    keys[#keys + 1] = jk
    keys[#keys + 1] = log_key(seq)
    keys[#keys + 1] = children_key(seq)
    keys[#keys + 1] = waiting_key(seq)
  end
  for i = 1, #keys, 4000 do redis.call('DEL', unpack(keys, i, math.min(i + 3999, #keys))) end
  queue_bytes.change(-freed)
end

-- A parent with blocked children (field hb > 0, and a member of this set) is kept:
-- they will need its outcome and result.
local function has_blocked_children(seq)
  return redis.call('SISMEMBER', PROTECTED_KEY, seq) == 1
end

-- Deletes final jobs from an index, except parents that blocked jobs still wait on.
local function trim_jobs(key, seqs)
  local deletable = seqs
  -- Most queues protect nobody: one SCARD spares a lookup per job.
  if redis.call('SCARD', PROTECTED_KEY) > 0 then
    deletable = {}
    for _, seq in ipairs(seqs) do
      if not has_blocked_children(seq) then deletable[#deletable + 1] = seq end
    end
  end
  if #deletable > 0 then
    call_in_slices('ZREM', key, deletable)
    delete_jobs(deletable)
  end
  return deletable
end


-- Moves a job (already removed from its previous index) into a final state index.
-- Jobs blocked on it are resolved later, in bounded chunks (see dependencies.lua).
-- `blocked_children` is the job's `hb` field and `holds` its `hp` field when the
-- caller read them (false spares a lookup: nobody to resolve, no parents to free).
local function enter_final(seq, jtype, state, now, blocked_children, holds)
  local key = index_key(state, jtype)
  defer_add(key, time_score(now, seq), seq)
  if not trim_candidates[key] then trim_candidates[key] = { state, jtype } end
  for _, hook in ipairs(on_final) do hook(seq, holds) end
  if blocked_children == false then return end
  if redis.call('EXISTS', waiting_key(seq)) == 1 then
    redis.call('RPUSH', RESOLVING_KEY, seq .. ':' .. (state == 'completed' and 'c' or 'f'))
  end
end

--[[
  Retention: deletes the oldest final jobs of an index with scores up to
  `max_score`, examining at most n, and returns (deleted, examined). Parents that
  blocked jobs wait on are kept; so that a run of them at the head of an index
  cannot stall retention (every call re-reading the same entries), the index keeps
  a cursor past the protected entries already examined (hash trim-cursor: index key
  -> score). When a parent's protection ends, its index's cursor is dropped
  (forget_trim_cursor) and the next call starts from the head again.
]]
local function trim_oldest(key, max_score, n)
  if redis.call('SCARD', PROTECTED_KEY) == 0 then
    local seqs = redis.call('ZRANGEBYSCORE', key, '-inf', max_score, 'LIMIT', 0, n)
    if #seqs > 0 then
      -- Read from -inf, they are the index's first ranks: one range cut, no lookup per member.
      redis.call('ZREMRANGEBYRANK', key, 0, #seqs - 1)
      delete_jobs(seqs)
    end
    return #seqs, #seqs
  end
  local cursor = redis.call('HGET', TRIM_CURSOR_KEY, key)
  local entries = redis.call('ZRANGEBYSCORE', key, cursor and ('(' .. cursor) or '-inf', max_score,
    'WITHSCORES', 'LIMIT', 0, n)
  local deletable, kept = {}, false
  for i = 1, #entries, 2 do
    if has_blocked_children(entries[i]) then
      kept = true
    else
      deletable[#deletable + 1] = entries[i]
    end
  end
  if #deletable > 0 then
    call_in_slices('ZREM', key, deletable)
    delete_jobs(deletable)
  end
  -- Everything up to the last entry examined is now either protected or gone.
  if #entries > 0 and (kept or cursor) then redis.call('HSET', TRIM_CURSOR_KEY, key, entries[#entries]) end
  return #deletable, #entries / 2
end

local function forget_trim_cursor(state, jtype)
  if RETENTION[state] then redis.call('HDEL', TRIM_CURSOR_KEY, index_key(state, jtype)) end
end

-- Retention by count, per type (after flush_changes): drops the oldest final jobs
-- past the limit. Bounded per call so one call never blocks Redis; later calls
-- finish the job.
local function trim_by_count()
  for _, candidate in pairs(trim_candidates) do
    local key = index_key(candidate[1], candidate[2])
    local keep = SETTINGS[RETENTION[candidate[1]][1]]
    local size = redis.call('ZCARD', key)
    local excess = size - keep
    if excess > 0 then trim_oldest(key, retention_bound(key, '+inf', size), math.min(excess, 1000)) end
  end
end

-- Wakes blocked consumers: '0' (score 0) means "jobs are pending now"; 'd' carries
-- the earliest due time of scheduled jobs (LT keeps the earliest).
local function flush_wakeups()
  if wake_every_type then
    for _, jtype in ipairs(redis.call('SMEMBERS', TYPES_KEY)) do WAKE_TYPES[jtype] = true end
  end
  if next(WAKE_TYPES) ~= nil then redis.call('ZADD', MARKER_KEY, 0, '0') end
  for jtype in pairs(WAKE_TYPES) do redis.call('ZADD', type_marker_key(jtype), 0, '0') end
  if earliest_due ~= nil then redis.call('ZADD', MARKER_KEY, 'LT', earliest_due, 'd') end
  for jtype, due in pairs(DUE_BY_TYPE) do redis.call('ZADD', type_marker_key(jtype), 'LT', due, 'd') end
  WAKE_TYPES, DUE_BY_TYPE, wake_every_type, earliest_due = {}, {}, false, nil
end

-- Sends a failed or canceled job back to pending with its attempts reset; its error
-- history stays for the record. The caller checked the state.
local function requeue_final(seq, jtype, state)
  local jk = job_key(seq)
  defer_remove(index_key(state, jtype), seq)
  redis.call('HSET', jk, 's', 'pending', 'a', 0, 'pa', NOW)
  redis.call('HDEL', jk, 'f', 'fr', 'fp', 'r', 'pg', 'pd')
  enqueue_pending(seq, jtype, tonumber(redis.call('HGET', jk, 'p')) or 5, next_order())
  queue_event('pending', seq)
end

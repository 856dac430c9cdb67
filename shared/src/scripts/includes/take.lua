--[[
  Taking work: promote due scheduled jobs, then lease up to N pending jobs in
  priority order (FIFO within a priority) across the allowed job types, skipping
  types whose circuit breaker is open and within each type's take limit.
  Requires transitions and stats.

  A leased job is returned as a flat array:
    seq, token, attempt, type, payload, maxAttempts, timeoutMs|false, createdAt,
    parents (comma-separated seqs)|false
]]
--!include includes/circuit-breaker.lua

-- Moves up to `limit` due scheduled jobs into pending. Idempotent: any process may run it.
local function promote_due(types, now, limit)
  local moved = 0
  for _, jtype in ipairs(types) do
    if moved >= limit then break end
    local key = index_key('scheduled', jtype)
    local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, limit - moved)
    for _, seq in ipairs(due) do
      defer_remove(key, seq)
      local jk = job_key(seq)
      redis.call('HSET', jk, 's', 'pending', 'pa', now)
      enqueue_pending(seq, jtype, tonumber(redis.call('HGET', jk, 'p')) or 5, next_order())
      queue_event('pending', seq)
    end
    moved = moved + #due
  end
  return moved
end

-- Earliest run time among scheduled jobs of the given types, or false.
local function next_due(types)
  local earliest = false
  for _, jtype in ipairs(types) do
    local head = redis.call('ZRANGE', index_key('scheduled', jtype), 0, 0, 'WITHSCORES')
    if head[2] then
      local due = math.floor(tonumber(head[2]))
      if not earliest or due < earliest then earliest = due end
    end
  end
  return earliest
end

-- Returns nil for an entry whose job is not pending: the index and the job's state
-- must agree, and a job that is not pending is never started from it.
local function lease(seq, jtype, now, deadline, worker)
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 'd', 'a', 'tk', 'ma', 'to', 'c', 'pa', 'ra', 'dp', 's')
  if job[10] ~= 'pending' then return nil end
  local attempt = (tonumber(job[2]) or 0) + 1
  local token = (tonumber(job[3]) or 0) + 1
  redis.call('HSET', jk, 's', 'processing', 'a', attempt, 'tk', token, 'w', worker, 'st', now)
  defer_add(index_key('processing', jtype), time_score(deadline, seq), seq)
  stat_latency('w', now - (tonumber(job[7]) or tonumber(job[8]) or tonumber(job[6])), jtype)
  queue_event('processing', seq)
  return { seq, token, attempt, jtype, job[1], tonumber(job[4]), job[5], tonumber(job[6]), job[9] }
end

-- Pops up to n (seq, type) pairs from the pending indexes of `types`, best score first.
local function pop_pending(types, n)
  local popped = {}
  if #types == 1 then
    for _, seq in ipairs(pending_pop_type(types[1], take_limit(types[1], n))) do
      popped[#popped + 1] = { seq, types[1] }
    end
    return popped
  end
  local candidates = {}
  for _, jtype in ipairs(types) do
    for _, entry in ipairs(pending_peek(jtype, take_limit(jtype, n))) do
      candidates[#candidates + 1] = { entry[1], jtype, entry[2], entry[3] }
    end
  end
  table.sort(candidates, function(a, b) return a[3] < b[3] end)
  local chosen_by_type = {}
  for i = 1, math.min(n, #candidates) do
    local c = candidates[i]
    local chosen = chosen_by_type[c[2]]
    if not chosen then
      chosen = {}
      chosen_by_type[c[2]] = chosen
    end
    chosen[#chosen + 1] = { c[1], c[3], c[4] }
    popped[#popped + 1] = { c[1], c[2] }
  end
  for jtype, chosen in pairs(chosen_by_type) do pending_take_peeked(jtype, chosen) end
  return popped
end

-- `allowed` is a list of types, or empty for every type of the queue.
local function take_jobs(allowed, n, now, lease_ms, worker)
  local all_types = redis.call('SMEMBERS', TYPES_KEY)
  local types = all_types
  if #allowed > 0 then
    local known = {}
    for _, t in ipairs(all_types) do known[t] = true end
    types = {}
    for _, t in ipairs(allowed) do if known[t] then types[#types + 1] = t end end
  end
  promote_due(types, now, 1000)
  flush_changes() -- promoted jobs must be visible to the pop below
  local taken = {}
  if n <= 0 or redis.call('HEXISTS', META_KEY, 'paused') == 1 then return taken, types end
  local with_pending = {}
  for _, jtype in ipairs(types) do
    if redis.call('EXISTS', index_key('pending', jtype)) == 1 and cb_admits(jtype, now) then
      with_pending[#with_pending + 1] = jtype
    end
  end
  if #with_pending == 0 then return taken, types end
  local deadline = now + lease_ms
  for _, entry in ipairs(pop_pending(with_pending, n)) do
    local leased = lease(entry[1], entry[2], now, deadline, worker)
    if leased then
      taken[#taken + 1] = leased
      cb_taken(entry[2], now)
    end
  end
  -- Jobs remain: wake the next idle consumer too.
  if #taken == n then
    for _, jtype in ipairs(with_pending) do wake_type(jtype) end
  end
  return taken, types
end

--[[
  Taking work: promote due scheduled jobs, then lease up to N pending jobs in
  priority order (FIFO within a priority) across the allowed job types, skipping
  types whose circuit breaker is open and within each type's take limit; a job
  past its expiry is canceled, not leased. Requires transitions, stats, dependencies.

  Leased jobs are returned in one flat array, LEASE_FIELDS values per job:
    seq, token, attempt, type, payload, maxAttempts, timeoutMs|false, createdAt,
    parents (comma-separated seqs)|false
  One array rather than a table per job: Redis converts every table of a reply by
  probing it for its special fields (err, ok, double...), which cost the hot path
  more per job than the values themselves.
]]
local LEASE_FIELDS = 9

-- Appends one leased job to `leases`. Token and attempt are strings: the reply and
-- remember_takes would otherwise each convert the number with a printf. A field
-- missing from a hash written past the engine gets a stand-in: a nil would end the
-- array there and shift every later job's fields in the reply.
local function push_lease(leases, seq, token, attempt, jtype, payload, max_attempts, timeout, created, parents)
  local n = #leases
  leases[n + 1], leases[n + 2], leases[n + 3] = seq, token, attempt or '1'
  leases[n + 4], leases[n + 5], leases[n + 6] = jtype or '', payload or '', max_attempts or 1
  leases[n + 7], leases[n + 8], leases[n + 9] = timeout or false, created or 0, parents or false
end
--!include includes/circuit-breaker.lua
--!include includes/expiry.lua

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
      local job = redis.call('HMGET', jk, 'p', 'g')
      enqueue_pending(seq, jtype, tonumber(job[1]) or 5, next_order(), job[2])
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

-- Appends the job to `leases` and returns true (the caller indexes it as processing);
-- false for an entry whose job is not pending: the index and the job's state must
-- agree, and a job that is not pending is never started from it.
local function lease(leases, seq, jtype, now, worker)
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 'd', 'a', 'tk', 'ma', 'to', 'c', 'pa', 'ra', 'dp', 's', 'g')
  if job[10] ~= 'pending' then return false end
  -- Never started late: an expired job is canceled instead (includes/expiry.lua).
  if expiry.at_lease(seq, jtype, now) then return false end
  -- As strings: redis.call would format each number with a printf('%.17g').
  local attempt = string.format('%d', (tonumber(job[2]) or 0) + 1)
  local token = string.format('%d', (tonumber(job[3]) or 0) + 1)
  redis.call('HSET', jk, 's', 'processing', 'a', attempt, 'tk', token, 'w', worker, 'st', now == NOW and NOW_S or now)
  if job[11] then fair.leased(jtype, job[11]) end
  local created = tonumber(job[6])
  -- Past the HSET above an error would leave this job half leased (Redis keeps a failed
  -- script's writes): a hash without its times counts no wait rather than failing here.
  stat_latency('w', now - (tonumber(job[7]) or tonumber(job[8]) or created or now), jtype)
  queue_event('processing', seq)
  push_lease(leases, seq, token, attempt, jtype, job[1], tonumber(job[4]), job[5], created, job[9])
  return true
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

-- Plain types' best pending score (for choosing between them and fair types), or nil.
local function plain_head_score(types)
  local best = nil
  for _, jtype in ipairs(types) do
    local head = pending_peek(jtype, 1)[1]
    if head and (not best or head[2] < best) then best = head[2] end
  end
  return best
end

--[[
  Pops up to n jobs: {seq, type} pairs. Types without groups are merged by pending
  score (priority, then FIFO, across types); a type with groups offers its jobs in
  its groups' turn order (groups.lua), and competes with the others through the
  score of the job it offers next.
]]
local function pop_all(plain, grouped, n, now)
  if #grouped == 0 then return pop_pending(plain, n) end
  local pools = {}
  if #plain > 0 then pools[#pools + 1] = { score = plain_head_score(plain) or math.huge } end
  for _, jtype in ipairs(grouped) do
    pools[#pools + 1] = { jtype = jtype, score = #plain + #grouped > 1 and fair.head_score(jtype) or 0 }
  end
  table.sort(pools, function(a, b) return a.score < b.score end)
  local popped = {}
  for _, pool in ipairs(pools) do
    local left = n - #popped
    if left <= 0 then break end
    if pool.jtype then
      for _, entry in ipairs(fair.pop(pool.jtype, take_limit(pool.jtype, left), now)) do
        popped[#popped + 1] = { entry[1], pool.jtype, entry[2] }
      end
    else
      for _, entry in ipairs(pop_pending(plain, left)) do popped[#popped + 1] = entry end
    end
  end
  return popped
end

-- Leases up to n jobs into `leases` (see LEASE_FIELDS); returns the types it
-- considered. `allowed` is a list of types, or empty for every type of the queue.
local function take_jobs(leases, allowed, n, now, lease_ms, worker)
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
  if n <= 0 or redis.call('HEXISTS', META_KEY, 'paused') == 1 then return types end
  -- Flow limits cap the take as a whole and per type; a limited type's jobs stay pending.
  local wanted = n
  n = math.min(n, (flow.queue_capacity(all_types, now)))
  local capped = {}
  local plain, grouped = {}, {}
  for _, jtype in ipairs(types) do
    local by_group = fair.is_fair(jtype)
    if n > 0 and (by_group or redis.call('EXISTS', index_key('pending', jtype)) == 1) and cb_admits(jtype, now) then
      local allowed_now = flow.type_capacity(jtype, now)
      if allowed_now > 0 then
        if allowed_now < flow.UNLIMITED then
          take_limits[jtype] = math.min(take_limits[jtype] or allowed_now, allowed_now)
          capped[jtype] = true
        end
        if by_group then grouped[#grouped + 1] = jtype else plain[#plain + 1] = jtype end
      end
    end
  end
  if #plain + #grouped == 0 then return types end
  local deadline_score = lease_score(now + lease_ms)
  local started = {}
  local leased, indexed = 0, {}
  for _, entry in ipairs(pop_all(plain, grouped, n, now)) do
    if lease(leases, entry[1], entry[2], now, worker) then
      leased = leased + 1
      indexed[leased] = entry
      cb_taken(entry[2], now)
      started[entry[2]] = (started[entry[2]] or 0) + 1
    elseif entry[3] and entry[3] ~= '' then
      -- Refused (expired, or a stale entry): it never starts, so its group's token is given
      -- back, and a group parked for want of that token may take its turn again.
      flow.group_unstarted(entry[2], entry[3], now)
      if redis.call('ZSCORE', FLOW_KEYS.parked(entry[2]), entry[3]) then fair.unpark(entry[2], { entry[3] }) end
    end
  end
  -- The leases share one score, so a listpack index places each new entry after a scan
  -- of the equal ones it sorts after: sent in descending seq order, that scan is of one.
  for i = leased, 1, -1 do
    local entry = indexed[i]
    defer_add(index_key('processing', entry[2]), deadline_score, entry[1])
  end
  for jtype, count in pairs(started) do flow.started(jtype, count, now) end
  flow.flush_gcra()
  -- Jobs remain: wake the next idle consumer too (unless a limit is what stopped this take).
  if leased == n and n == wanted then
    for _, jtype in ipairs(plain) do if not capped[jtype] then wake_type(jtype) end end
    for _, jtype in ipairs(grouped) do if not capped[jtype] then wake_type(jtype) end end
  end
  return types
end

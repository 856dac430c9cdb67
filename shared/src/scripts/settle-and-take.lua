--[[
  settle-and-take: the hot path. Records the outcome of finished jobs (completed or
  failed attempt) and leases the next jobs, all in one round trip. With no
  outcomes it is a plain take; with take count 0 a plain settle.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random number in [0,1) for backoff jitter
  ARGV[4]     worker id
  ARGV[5]     lease duration in ms
  ARGV[6]     how many jobs to take
  ARGV[7]     allowed job types, comma-separated ('' = every type); `type=N`
              takes at most N jobs of that type (a worker's per-type concurrency);
              a type named twice counts once
  ARGV[8]     number of outcomes N
  ARGV[9]     consumer key: one consumer instance (its takes are remembered under it)
  ARGV[10]    call id: this call's number, unique per consumer instance
  ARGV[11]    ids of earlier calls whose reply never arrived, comma-separated
  ARGV[12..]  N groups of 4 fields: seq, token, kind, data
              kind 'c' completed (data = result JSON or ''),
                   'f' failed attempt, 'u' unrecoverable failure (data = error JSON),
                   'l' limited upstream (data = '<retryAfterMs>|<scope>', scope one
                   of job, group, type, queue): the job waits that long without
                   spending its attempt, and so does the rest of the scope,
              error JSON: {"message","stack"?,"workerId","reason"?}; one that does
              not decode is recorded as an error with reason encoding-error
  Errors (before any write): `rq-invalid-argument <what>` for malformed arguments.

  A reply can be lost after Redis ran the call (a connection reset; ioredis then
  sends the same call again). The jobs a call leased are remembered for one lease
  duration (includes/replay.lua), so a call run twice, or a later call that names
  it in ARGV[11], hands back those same leases instead of leaving them to expire
  (which would cost an attempt of a job that never ran). Outcomes are idempotent
  already: a second report finds the lease gone and changes nothing.

  Returns: { outcomes, taken, nextDueMs|false }
    outcomes: flat array of N pairs (code, state) with code 1 on success, -1 job
              gone, -2 lease lost (state says what the job is now); state is the
              job's new state on success
    taken:    leased jobs in one flat array, LEASE_FIELDS values per job (includes/take.lua)
    nextDueMs: when fewer jobs than asked were taken, ms from now (Redis's clock)
              until the earliest scheduled run time, or until an open circuit
              breaker that held jobs back lets probes through
  Outcomes count in their type's circuit breaker (includes/circuit-breaker.lua).
]]
--!include includes/keys.lua
--!include includes/lease.lua
--!include includes/settings.lua
--!include includes/now.lua
--!include includes/scores.lua
--!include includes/events.lua
--!include includes/stats.lua
--!include includes/transitions.lua
--!include includes/failure.lua
--!include includes/dependencies.lua
--!include includes/take.lua
--!include includes/replay.lua
--!include includes/upstream-limit.lua

-- The script's own locals live in a function: Lua allows a chunk 200 locals, and the
-- includes above use most of them.
local function settle_and_take()
  local worker, lease_ms, take_count = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
  local count = tonumber(ARGV[8])
  local consumer_key, call_id, replay_ids = ARGV[9], tonumber(ARGV[10]), ARGV[11]

  -- Every argument is checked before the first write: Redis does not roll back a
  -- script that fails half-way, and a half-recorded batch is how completed jobs
  -- used to run twice.
  local function invalid(what) return redis.error_reply('ERR rq-invalid-argument ' .. what) end
  local function is_count(value) return value ~= nil and value >= 0 and value % 1 == 0 end
  if not is_count(lease_ms) or lease_ms < 1 then return invalid('lease duration') end
  if not is_count(take_count) then return invalid('take count') end
  if not is_count(count) or #ARGV ~= 11 + count * 4 then return invalid('outcome count') end
  if consumer_key == '' or not is_count(call_id) then return invalid('call id') end
  if not string.match(replay_ids, '^[%d,]*$') then return invalid('replayed call ids') end

  -- A type named twice would be popped and promoted twice: each counts once.
  local allowed, seen_types = {}, {}
  for t, limit in string.gmatch(ARGV[7], '([^,=]+)=?(%d*)') do
    if not seen_types[t] then
      seen_types[t] = true
      allowed[#allowed + 1] = t
    end
    if limit ~= '' then take_limits[t] = tonumber(limit) end
  end

  -- An error report that does not decode is the worker's fault, not the job's: it is
  -- recorded as a failed attempt with an encoding error, so it cannot hold back the
  -- other outcomes of the batch.
  local reports = {}
  local UPSTREAM_SCOPES = { job = true, group = true, type = true, queue = true }
  for i = 0, count - 1 do
    local base = 12 + i * 4
    local seq, kind, data = ARGV[base], ARGV[base + 2], ARGV[base + 3]
    if not string.match(seq, '^%d+$') then return invalid('seq of outcome ' .. i) end
    if kind ~= 'c' and kind ~= 'f' and kind ~= 'u' and kind ~= 'l' then return invalid('kind of outcome ' .. i) end
    if kind == 'l' then
      local after, scope = string.match(data, '^(%d+)|(%a+)$')
      if not after or not UPSTREAM_SCOPES[scope] then return invalid('data of outcome ' .. i) end
      reports[i] = { after = math.min(tonumber(after), SETTINGS.max_backoff_ms), scope = scope }
    elseif kind ~= 'c' then
      local ok, decoded = pcall(cjson.decode, data)
      if ok and type(decoded) == 'table' and type(decoded.message) == 'string' then
        reports[i] = decoded
      else
        reports[i] = {
          message = 'the worker reported an error that could not be decoded',
          reason = 'encoding-error',
          workerId = worker,
        }
      end
    end
  end

  local outcomes = {}
  for i = 0, count - 1 do
    local base = 12 + i * 4
    local seq, token, kind, data = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
    local jk = job_key(seq)
    local job = redis.call('HMGET', jk, 's', 'tk', 't', 'st', 'hb', 'hp', 'g')
    local code = lease_code(job[1], job[2], token)
    if code ~= 1 then
      outcomes[#outcomes + 1] = code
      outcomes[#outcomes + 1] = job[1] or ''
    else
      local jtype = job[3]
      fair.leave_processing(seq, jtype, job[7])
      -- A job limited upstream did not fail or finish: no breaker call, no run time.
      if kind ~= 'l' then
        cb_record(jtype, kind ~= 'c')
        stat_latency('r', NOW - (tonumber(job[4]) or NOW), jtype)
      end
      local state
      if kind == 'l' then
        state = limited_upstream(seq, jtype, job[7], reports[i], NOW)
      elseif kind == 'c' then
        if data ~= '' then
          redis.call('HSET', jk, 's', 'completed', 'f', NOW_S, 'r', data)
        else
          redis.call('HSET', jk, 's', 'completed', 'f', NOW_S)
        end
        enter_final(seq, jtype, 'completed', NOW, job[5], job[6])
        stat_count('completed', 1)
        stat_throughput('c', NOW)
        queue_event('completed', seq)
        state = 'completed'
      else
        state = fail_attempt(seq, jtype, NOW, reports[i], kind == 'u', kind == 'u' and 'unrecoverable' or 'error')
      end
      outcomes[#outcomes + 1] = 1
      outcomes[#outcomes + 1] = state
    end
  end

  cb_apply(NOW)
  -- Completions above may have unblocked dependents: take them in this same call.
  if resolve_dependents(100, NOW) then wake_every_type = true end
  -- Run before (its reply was lost and ioredis sent it again): the same leases again.
  local taken, types = {}, nil
  if remembered_leases(taken, consumer_key, call_id, NOW, lease_ms) then
    types = #allowed > 0 and allowed or redis.call('SMEMBERS', TYPES_KEY)
  else
    -- Earlier calls whose replies never arrived: their leases come first.
    for id in string.gmatch(replay_ids, '%d+') do remembered_leases(taken, consumer_key, tonumber(id), NOW, lease_ms) end
    types = take_jobs(taken, allowed, take_count - #taken / LEASE_FIELDS, NOW, lease_ms, worker)
  end
  remember_takes(consumer_key, call_id, taken, lease_ms)
  local due = false
  if #taken / LEASE_FIELDS < take_count then
    due = next_due(types)
    if earliest_reopen and (not due or earliest_reopen < due) then due = earliest_reopen end
    if flow.earliest and (not due or flow.earliest < due) then due = math.ceil(flow.earliest) end
    -- Relative, so the caller never compares Redis's clock with its own.
    if due then due = math.max(due - NOW, 0) end
  end

  cb_save()
  flow.flush_gcra()
  flush_changes()
  trim_by_count()
  flush_stats(NOW)
  flush_wakeups()
  return { outcomes, taken, due }
end
return settle_and_take()

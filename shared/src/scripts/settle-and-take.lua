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
              takes at most N jobs of that type (a worker's per-type concurrency)
  ARGV[8]     number of outcomes N
  ARGV[9..]   N groups of 4 fields: seq, token, kind, data
              kind 'c' completed (data = result JSON or ''),
                   'f' failed attempt, 'u' unrecoverable failure (data = error JSON),
              error JSON: {"message","stack"?,"workerId","attempt","at"}

  Returns: { outcomes, taken, nextDueMs|false }
    outcomes: flat array of N pairs (code, state) with code 1 on success, -1 job
              gone, -2 lease lost (state says what the job is now); state is the
              job's new state on success
    taken:    leased jobs (see includes/take.lua)
    nextDueMs: earliest scheduled run time when fewer jobs than asked were taken,
              or when an open circuit breaker held jobs back, when it reopens
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

local worker, lease_ms, take_count = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local allowed = {}
for t, limit in string.gmatch(ARGV[7], '([^,=]+)=?(%d*)') do
  allowed[#allowed + 1] = t
  if limit ~= '' then take_limits[t] = tonumber(limit) end
end
local count = tonumber(ARGV[8])

local outcomes = {}
for i = 0, count - 1 do
  local base = 9 + i * 4
  local seq, token, kind, data = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 's', 'tk', 't', 'st', 'hb')
  local code = lease_code(job[1], job[2], token)
  if code ~= 1 then
    outcomes[#outcomes + 1] = code
    outcomes[#outcomes + 1] = job[1] or ''
  else
    local jtype = job[3]
    cb_record(jtype, kind ~= 'c')
    defer_remove(index_key('processing', jtype), seq)
    stat_latency('r', NOW - (tonumber(job[4]) or NOW))
    local state
    if kind == 'c' then
      if data ~= '' then
        redis.call('HSET', jk, 's', 'completed', 'f', NOW, 'r', data)
      else
        redis.call('HSET', jk, 's', 'completed', 'f', NOW)
      end
      enter_final(seq, jtype, 'completed', NOW, job[5])
      stat_count('completed', 1)
      stat_throughput('c', NOW)
      queue_event('completed', seq)
      state = 'completed'
    else
      state = fail_attempt(seq, jtype, NOW, data, kind == 'u', kind == 'u' and 'unrecoverable' or 'error')
    end
    outcomes[#outcomes + 1] = 1
    outcomes[#outcomes + 1] = state
  end
end

cb_apply(NOW)
-- Completions above may have unblocked dependents: take them in this same call.
if resolve_dependents(100, NOW) then wake_pending = true end
local taken, types = take_jobs(allowed, take_count, NOW, lease_ms, worker)
local due = false
if #taken < take_count then
  due = next_due(types)
  if earliest_reopen and (not due or earliest_reopen < due) then due = earliest_reopen end
end

cb_save()
flush_changes()
trim_by_count()
flush_stats(NOW)
flush_wakeups()
return { outcomes, taken, due }

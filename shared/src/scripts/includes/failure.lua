--[[
  One failed attempt: remember the error, then retry after a backoff or
  dead-letter. Used for errors reported by workers and for expired leases alike,
  so a stalled job follows the same backoff schedule as a failed one.
  Requires transitions. ARGV[3] of the calling script is a random number in [0,1)
  for jitter; further draws come from a small LCG seeded with it.
]]
local jitter_state
on_call(function()
  jitter_state = math.floor((tonumber(ARGV[3]) or 0) * 2147483647)
end)
local function next_random()
  jitter_state = (jitter_state * 1103515245 + 12345) % 2147483648
  return jitter_state / 2147483648
end

-- Backoff field: "<f|e>,<delayMs>,<maxDelayMs>,<jitter 0|1>"; absent means the queue default.
local function backoff_delay(backoff, attempt)
  local fixed, delay, max_delay, jitter
  if backoff then
    local kind, d, m, j = string.match(backoff, '^(%a),(%d+),(%d*),(%d)$')
    fixed, delay, max_delay, jitter = kind == 'f', tonumber(d), tonumber(m), j == '1'
  else
    fixed, delay = SETTINGS.backoff_fixed == 1, SETTINGS.backoff_delay_ms
    max_delay, jitter = SETTINGS.backoff_max_ms, SETTINGS.backoff_jitter == 1
  end
  if not fixed then delay = delay * 2 ^ (attempt - 1) end
  -- Without its own cap, a backoff still stops at the longest one accepted as input.
  max_delay = math.min(max_delay or SETTINGS.max_backoff_ms, SETTINGS.max_backoff_ms)
  if delay > max_delay then delay = max_delay end
  if jitter then delay = delay * next_random() end
  return math.floor(delay)
end

-- What a failed job keeps (issue 12, defect 12): dead-lettered jobs are kept by the
-- 100,000 per type, so each one's error history is bounded. Mirrors LIMITS.errorHistory
-- and LIMITS.errorBytes in shared/src/schemas/limits.ts (a test checks they agree).
local ERROR_HISTORY = 10
local ERROR_BYTES = 8192

-- `entry` is a table (decoded and checked by the caller before its first write).
-- A history that does not decode is started afresh rather than failing half-way.
-- Only the latest attempt keeps its stack (the one worth reading); the oldest attempts
-- go first when the history is over ERROR_HISTORY entries or ERROR_BYTES of JSON, and a
-- lone entry still over the cap loses its stack.
local function append_error(errors_json, entry, attempt, now)
  local errors = {}
  if errors_json then
    local ok, decoded = pcall(cjson.decode, errors_json)
    if ok and type(decoded) == 'table' then errors = decoded end
  end
  for i = 1, #errors do
    if type(errors[i]) == 'table' then errors[i].stack = nil end
  end
  entry.attempt = attempt
  entry.at = now
  errors[#errors + 1] = entry
  while #errors > ERROR_HISTORY do table.remove(errors, 1) end
  local encoded = cjson.encode(errors)
  while #encoded > ERROR_BYTES and #errors > 1 do
    table.remove(errors, 1)
    encoded = cjson.encode(errors)
  end
  if #encoded > ERROR_BYTES and entry.stack then
    entry.stack = nil
    encoded = cjson.encode(errors)
  end
  return encoded
end

-- The job must already be out of the processing index. Returns the new state.
local function fail_attempt(seq, jtype, now, error_entry, unrecoverable, reason)
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 'a', 'ma', 'bo', 'p', 'e', 'g')
  local attempt, max_attempts = tonumber(job[1]) or 0, tonumber(job[2]) or 1
  local errors = append_error(job[5] or nil, error_entry, attempt, now)
  if unrecoverable or attempt >= max_attempts then
    redis.call('HSET', jk, 's', 'failed', 'f', now, 'e', errors, 'fr', reason)
    enter_final(seq, jtype, 'failed', now)
    stat_count('failed', 1)
    stat_throughput('f', now)
    emit('failed', seq, 'reason', reason)
    return 'failed'
  end
  stat_count('retried', 1)
  local delay = backoff_delay(job[3] or nil, attempt)
  if delay <= 0 then
    redis.call('HSET', jk, 's', 'pending', 'pa', now, 'e', errors)
    enqueue_pending(seq, jtype, tonumber(job[4]) or 5, next_order(), job[6])
    emit('pending', seq, 'reason', reason)
    return 'pending'
  end
  redis.call('HSET', jk, 's', 'scheduled', 'ra', now + delay, 'e', errors)
  enqueue_scheduled(seq, jtype, now + delay)
  emit('scheduled', seq, 'reason', reason, 'runAt', now + delay)
  return 'scheduled'
end

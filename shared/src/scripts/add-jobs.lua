--[[
  add-jobs: adds a batch of jobs atomically (a single add is a batch of one).

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix `rq:{queue}:`
  ARGV[2]     settings (see includes/settings.lua)
  ARGV[3]     unused (random seed slot shared by all scripts)
  ARGV[4]     idempotency window in ms
  ARGV[5]     '1' to return each job's fields too (saves the caller a read)
  ARGV[6]     number of jobs N
  ARGV[7..]   the N jobs in topological order (a batch parent precedes its
              children), each in one of two forms:
              long: 14 fields: type, payload, priority, delayMs, runAtMs
              (0 = none), maxAttempts, backoff ('' = queue default), timeoutMs
              ('' = default), idempotency '<fingerprint>|<key>' ('' = none; the
              fingerprint is 32 hex digits of the canonical submitted fields),
              parents (comma-separated
              seqs, or '@k' for the k-th job of this batch, 0-based; '' = none),
              'i' when parent failures are ignored ('' = fail with them),
              group key for fair queuing and per-group limits ('' = none)
              and last, expiry ('' = none; 'a<ms>' at that time, 'r<ms>' that
              long from now: see includes/expiry.lua) and debounce ('' = none;
              '<d|t>|<windowMs>|<key>': see includes/debounce.lua)
              run: '=<n>', type, maxAttempts, then n payloads: n consecutive jobs
              whose other fields would all be the long form's defaults (priority
              5, no delay, run time, backoff, timeout, idempotency, parents,
              group, expiry or debounce); stored exactly as their long form is.
              A type never starts with '=', so the first field tells the forms apart.

  Returns: flat array of N pairs (seq, created): created is 1 for a new job, 0
  when an idempotency key returned an existing one (same fingerprint), 2 when a
  debounce key's waiting job took the submission (payload, run time and expiry
  replaced) and 3 when a throttle key dropped it (seq = the key's job); with
  ARGV[5] = '1', N triples (seq, created, HGETALL fields). Nothing is written when
  it returns -4 (too many types), { -5, seq } (a parent does not exist),
  { -8, i, seq, fingerprint } (job i reuses an idempotency key that job seq took
  with another fingerprint; seq is '@k' for the k-th job of this batch) or
  { -9, held, bytes } (the queue's memory budget, settings' max_queue_bytes, cannot
  take the batch's bytes on top of the bytes it holds; see includes/queue-bytes.lua).

  Idempotency record idem:<key> = '<seq>|<fingerprint>' (a bare '<seq>' from
  before fingerprints matches any body).
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
--!include includes/expiry.lua
--!include includes/debounce.lua

local idem_ms = tonumber(ARGV[4])
local return_jobs = ARGV[5] == '1'
local count = tonumber(ARGV[6])
local FIELDS = 14
-- A run's '=<n>', type and maxAttempts, before its n payloads.
local RUN_HEAD = 3
-- Expiry and debounce are the last two fields of each job.
local EXPIRY_AT, DEBOUNCE_AT = FIELDS - 2, FIELDS - 1
local IDEMPOTENCY_FIELD = '^' .. string.rep('%x', 32) .. '|.'

-- Reject before writing anything, so the batch stays all-or-nothing: Redis does
-- not roll back a script that fails half-way. The caller validated the jobs; this
-- guards the arguments every later command relies on.
local function invalid(what) return redis.error_reply('ERR rq-invalid-argument ' .. what) end
local function is_count(value) return value ~= nil and value >= 0 and value % 1 == 0 end
if not is_count(idem_ms) or idem_ms < 1 then return invalid('idempotency window') end
if not is_count(count) then return invalid('job count') end
local function bad_type(jtype) return jtype == '' or string.find(jtype, '[,=]') ~= nil end
local function bad_attempts(field) return not is_count(tonumber(field)) or tonumber(field) < 1 end

-- A long-form job's fields, at base: a refusal, or nil.
local function check_long(i, base)
  local priority = tonumber(ARGV[base + 2])
  if bad_type(ARGV[base]) then return invalid('type of job ' .. i) end
  if not is_count(priority) or priority < 1 or priority > 10 then return invalid('priority of job ' .. i) end
  if not is_count(tonumber(ARGV[base + 3])) or not is_count(tonumber(ARGV[base + 4])) then
    return invalid('delay of job ' .. i)
  end
  if bad_attempts(ARGV[base + 5]) then return invalid('maxAttempts of job ' .. i) end
  if ARGV[base + 7] ~= '' and not is_count(tonumber(ARGV[base + 7])) then return invalid('timeout of job ' .. i) end
  if #ARGV[base + 11] > 512 then return invalid('group of job ' .. i) end
  if ARGV[base + 8] ~= '' and not string.match(ARGV[base + 8], IDEMPOTENCY_FIELD) then
    return invalid('idempotency of job ' .. i)
  end
  if not expiry.is_field(ARGV[base + EXPIRY_AT]) then return invalid('expiry of job ' .. i) end
  -- A debounced job is replaced while it waits: it has no parents to wait on.
  if ARGV[base + DEBOUNCE_AT] ~= '' and (not debounce.is_field(ARGV[base + DEBOUNCE_AT]) or ARGV[base + 9] ~= '') then
    return invalid('debounce of job ' .. i)
  end
end

-- The jobs as entries { index of the entry's first job, ARGV index, run length }:
-- a long-form job's entry has no run length. Every field is checked before any write.
local entries = {}
do
  local at, i = 7, 0
  while i < count do
    local head = ARGV[at]
    if head == nil then return invalid('job count') end
    if string.sub(head, 1, 1) == '=' then
      local n = tonumber(string.sub(head, 2))
      if not is_count(n) or n < 1 or at + RUN_HEAD + n - 1 > #ARGV then return invalid('run of job ' .. i) end
      if bad_type(ARGV[at + 1]) then return invalid('type of job ' .. i) end
      if bad_attempts(ARGV[at + 2]) then return invalid('maxAttempts of job ' .. i) end
      entries[#entries + 1] = { i, at, n }
      at, i = at + RUN_HEAD + n, i + n
    else
      if at + FIELDS - 1 > #ARGV then return invalid('job count') end
      local refused = check_long(i, at)
      if refused then return refused end
      entries[#entries + 1] = { i, at }
      at, i = at + FIELDS, i + 1
    end
  end
  if i ~= count or at ~= #ARGV + 1 then return invalid('job count') end
end

-- '<fingerprint>|<key>' -> key, fingerprint; '<seq>|<fingerprint>' -> seq, fingerprint.
local function split_idem(value) return string.sub(value, 34), string.sub(value, 1, 32) end
local function split_record(value)
  local bar = string.find(value, '|', 1, true)
  if not bar then return value, nil end
  return string.sub(value, 1, bar - 1), string.sub(value, bar + 1)
end

local new_types, checked = {}, {}
local batch_keys = {}
-- What the batch would add to the queue's accounted bytes, counted only under a
-- budget: every job as new, except the replays of an idempotency key.
local budget, batch_bytes = SETTINGS.max_queue_bytes, 0
local function check_type(jtype)
  if not checked[jtype] then
    checked[jtype] = true
    if redis.call('SISMEMBER', TYPES_KEY, jtype) == 0 then new_types[#new_types + 1] = jtype end
  end
end
-- A long-form job's idempotency key, type and parents: a refusal, or nil.
local function precheck_long(i, base)
  local jtype = ARGV[base]
  local replay = false
  if ARGV[base + 8] ~= '' then
    -- A reused key with another body is refused before anything is written (Stripe's rule).
    local key, fingerprint = split_idem(ARGV[base + 8])
    local earlier = batch_keys[key]
    if earlier then
      if earlier[2] ~= fingerprint then return { -8, i, '@' .. earlier[1], earlier[2] } end
      replay = true
    else
      batch_keys[key] = { i, fingerprint }
      local record = redis.call('GET', idempotency_key(key))
      if record then
        local seq, stored = split_record(record)
        if stored and stored ~= fingerprint then
          if redis.call('EXISTS', job_key(seq)) == 1 then return { -8, i, seq, stored } end
        elseif budget > 0 then
          replay = redis.call('EXISTS', job_key(seq)) == 1
        end
      end
    end
  end
  if budget > 0 and not replay then batch_bytes = batch_bytes + queue_bytes.of_job(ARGV[base + 1]) end
  check_type(jtype)
  if ARGV[base + 9] ~= '' then
    for _, parent in ipairs(split_seqs(ARGV[base + 9])) do
      if string.sub(parent, 1, 1) ~= '@' and redis.call('EXISTS', job_key(parent)) == 0 then return { -5, parent } end
    end
  end
end
for _, entry in ipairs(entries) do
  local base, run = entry[2], entry[3]
  if run then
    check_type(ARGV[base + 1])
    if budget > 0 then
      for at = base + RUN_HEAD, base + RUN_HEAD + run - 1 do batch_bytes = batch_bytes + queue_bytes.of_job(ARGV[at]) end
    end
  else
    local refused = precheck_long(entry[1], base)
    if refused then return refused end
  end
end
-- Over the budget, the whole batch is refused (RabbitMQ's overflow=reject-publish).
if batch_bytes > 0 then
  local held = queue_bytes.held()
  if held + batch_bytes > budget then return { -9, held, batch_bytes } end
end
-- While a Cluster moves this queue's slot, Redis refuses a script's access to a key of
-- the slot that is not on this node, which the new jobs' keys never are: reading the
-- first of them here makes that refusal come before the first write (types, seq).
redis.call('EXISTS', job_key(string.format('%d', (tonumber(redis.call('GET', SEQ_KEY)) or 0) + 1)))
if #new_types > 0 then
  if redis.call('SCARD', TYPES_KEY) + #new_types > SETTINGS.max_types then return -4 end
  redis.call('SADD', TYPES_KEY, unpack(new_types))
end

PARENT_STATES = {}
local result = {}
local batch_seqs = {}
local added, added_bytes = 0, 0
reserve_orders(count)
local function add_long(i, base)
  local jtype, payload, priority = ARGV[base], ARGV[base + 1], tonumber(ARGV[base + 2])
  local delay_ms, run_at = tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  local max_attempts, backoff, timeout, idem = ARGV[base + 5], ARGV[base + 6], ARGV[base + 7], ARGV[base + 8]
  local ignore_failures = ARGV[base + 10] == 'i'

  local existing, fingerprint = false, nil
  if idem ~= '' then
    idem, fingerprint = split_idem(idem)
    existing = redis.call('GET', idempotency_key(idem))
    if existing then existing = split_record(existing) end
    -- A key whose job was already trimmed by retention no longer dedupes.
    if existing and redis.call('EXISTS', job_key(existing)) == 0 then existing = false end
  end

  local debounced, debounce_code = false, nil
  if not existing then debounced, debounce_code = debounce.match(jtype, ARGV[base + DEBOUNCE_AT]) end

  if existing then
    batch_seqs[i + 1] = existing
    result[#result + 1] = existing
    result[#result + 1] = 0
  elseif debounced then
    if debounce_code == debounce.REPLACED then
      added_bytes = added_bytes
        + debounce.replace(debounced, payload, run_at > 0 and run_at or NOW + delay_ms, expiry.of_field(ARGV[base + EXPIRY_AT], NOW))
      debounce.remember(jtype, ARGV[base + DEBOUNCE_AT], debounced)
    end
    -- The same request sent again answers with the same job.
    if idem ~= '' then redis.call('SET', idempotency_key(idem), debounced .. '|' .. fingerprint, 'PX', idem_ms) end
    batch_seqs[i + 1] = debounced
    result[#result + 1] = debounced
    result[#result + 1] = debounce_code
  else
    local seq = tostring(next_order())
    batch_seqs[i + 1] = seq
    local jk = job_key(seq)
    -- Only non-default fields are stored: memory per pending job is a design target.
    -- Every reader of 'p' defaults it to 5, so the default priority costs no field;
    -- strings rather than numbers spare redis.call a printf per job.
    local fields = { 't', jtype, 'd', payload, 'c', NOW_S, 'ma', max_attempts }
    if priority ~= 5 then fields[#fields + 1] = 'p'; fields[#fields + 1] = string.format('%d', priority) end
    if backoff ~= '' then fields[#fields + 1] = 'bo'; fields[#fields + 1] = backoff end
    if timeout ~= '' then fields[#fields + 1] = 'to'; fields[#fields + 1] = timeout end
    local group = ARGV[base + 11] ~= '' and ARGV[base + 11] or false
    if group then fields[#fields + 1] = 'g'; fields[#fields + 1] = group end
    if idem ~= '' then
      fields[#fields + 1] = 'ik'; fields[#fields + 1] = idem
      redis.call('SET', idempotency_key(idem), seq .. '|' .. fingerprint, 'PX', idem_ms)
    end
    local due = run_at > 0 and run_at or NOW + delay_ms
    if due > NOW then fields[#fields + 1] = 'ra'; fields[#fields + 1] = due end

    local verdict, detail = 'ready', nil
    if ARGV[base + 9] ~= '' then
      -- Two refs (or a ref and an id) may name one job, e.g. through an idempotency key.
      local parents, seen = {}, {}
      for _, entry in ipairs(split_seqs(ARGV[base + 9])) do
        local parent = string.sub(entry, 1, 1) == '@' and batch_seqs[tonumber(string.sub(entry, 2)) + 1] or entry
        if not seen[parent] then
          seen[parent] = true
          parents[#parents + 1] = parent
        end
      end
      fields[#fields + 1] = 'dp'; fields[#fields + 1] = table.concat(parents, ',')
      if ignore_failures then fields[#fields + 1] = 'op'; fields[#fields + 1] = 'i' end
      verdict, detail = link_parents(seq, parents, ignore_failures)
    end

    fields[#fields + 1] = 's'
    if verdict == 'blocked' then
      fields[#fields + 1] = 'blocked'; fields[#fields + 1] = 'dn'; fields[#fields + 1] = detail
      redis.call('HSET', jk, unpack(fields))
      defer_add(index_key('blocked', jtype), time_score(NOW, seq), seq)
      queue_event('blocked', seq)
    elseif verdict == 'failed' then
      fields[#fields + 1] = 'blocked'
      redis.call('HSET', jk, unpack(fields))
      fail_for_parent(seq, jtype, detail, NOW, false)
    elseif due > NOW then
      fields[#fields + 1] = 'scheduled'
      redis.call('HSET', jk, unpack(fields))
      enqueue_scheduled(seq, jtype, due)
      queue_event('scheduled', seq)
    else
      fields[#fields + 1] = 'pending'
      redis.call('HSET', jk, unpack(fields))
      enqueue_pending(seq, jtype, priority, tonumber(seq), group)
      queue_event('pending', seq)
    end
    local expires_at = expiry.of_field(ARGV[base + EXPIRY_AT], NOW)
    if expires_at and verdict ~= 'failed' then expiry.track(seq, expires_at) end
    if ARGV[base + DEBOUNCE_AT] ~= '' then debounce.remember(jtype, ARGV[base + DEBOUNCE_AT], seq) end
    added = added + 1
    added_bytes = added_bytes + queue_bytes.of_job(payload)
    result[#result + 1] = seq
    result[#result + 1] = 1
  end
end

-- What add_long does with a job whose options are all default, without reading the
-- defaults back: a new job, pending now, with the same fields in the same order.
-- Its seq is formatted as tostring would (%.14g, exact below 10^14) at half the cost,
-- and it enters the pending index the way enqueue_pending puts a fresh job there.
local function add_run(first, base, n)
  local jtype, max_attempts = ARGV[base + 1], ARGV[base + 2]
  for k = 1, n do
    local order = next_order()
    local seq = string.format('%d', order)
    local payload = ARGV[base + RUN_HEAD + k - 1]
    batch_seqs[first + k] = seq
    redis.call('HSET', job_key(seq), 't', jtype, 'd', payload, 'c', NOW_S, 'ma', max_attempts, 's', 'pending')
    pending_add(seq, jtype, pending_score(5, order))
    queue_event('pending', seq)
    added_bytes = added_bytes + queue_bytes.of_job(payload)
    result[#result + 1] = seq
    result[#result + 1] = 1
  end
  wake_type(jtype)
  added = added + n
end

for _, entry in ipairs(entries) do
  if entry[3] then add_run(entry[1], entry[2], entry[3]) else add_long(entry[1], entry[2]) end
end

-- Before retention below deletes anything, so the counter never dips under what it holds.
queue_bytes.change(added_bytes)
stat_count('added', added)
flush_changes()
if return_jobs then
  local with_jobs = {}
  for i = 1, #result, 2 do
    with_jobs[#with_jobs + 1] = result[i]
    with_jobs[#with_jobs + 1] = result[i + 1]
    with_jobs[#with_jobs + 1] = redis.call('HGETALL', job_key(result[i]))
  end
  result = with_jobs
end
trim_by_count()
flush_stats(NOW)
flush_wakeups()
return result

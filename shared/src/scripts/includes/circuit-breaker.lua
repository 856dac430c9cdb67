--[[
  Circuit breaker per job type, shared by every worker of the queue through one
  hash per type, rq:{q}:cb:<type> (no hash: the type has no breaker):
    fr mc wm cd hp   thresholds: failure rate (0-1], minimum calls in the window,
                     window ms, cooldown ms, half-open probes
    st               'o' open, 'h' half-open, 'c' or absent closed
    oa ra            opened at, reopens (turns half-open) at, epoch ms
    pi po pt         probes in flight, probe successes, when a probe was last taken
    b0 .. b9         sliding window: 10 buckets "<bucket no>:<calls>:<failures>" of
                     wm/10 ms each, so memory per type is fixed
  Closed: outcomes fill the window; at >= mc calls with a failure rate >= fr it opens.
  Open: takes skip the type (its jobs wait as pending, no attempt is used) until ra.
  Half-open: at most hp probe jobs at a time; hp successes close it (and clear the
  window), one failure opens it again. Probes whose outcome never comes (their
  worker died) stop holding the slots after a cooldown, so it cannot get stuck.
  Outcomes of jobs that were already running when it opened are ignored while open.

  Also owns take_limits, the most jobs of one type a take may lease: set by the
  caller (a worker's per-type concurrency) and by half-open breakers (free probes).
  Each breaker is read once per script call and written back by cb_save().
  Requires keys and transitions (closing a breaker wakes idle consumers).
]]
local CB_BUCKETS = 10
local CB_FIELDS = { 'fr', 'mc', 'wm', 'cd', 'hp', 'st', 'oa', 'ra', 'pi', 'po', 'pt' }
for i = 0, CB_BUCKETS - 1 do CB_FIELDS[#CB_FIELDS + 1] = 'b' .. i end
local breakers, breaker_outcomes, take_limits
-- Earliest time an open breaker that blocked this take turns half-open, or false.
local earliest_reopen
on_call(function()
  breakers, breaker_outcomes, take_limits = {}, {}, {}
  earliest_reopen = false
end)

-- The type's breaker (cached for this call), or false when it has none.
local function cb_load(jtype)
  local b = breakers[jtype]
  if b ~= nil then return b end
  local h = redis.call('HMGET', breaker_key(jtype), unpack(CB_FIELDS))
  if not h[1] then
    breakers[jtype] = false
    return false
  end
  b = {
    rate = tonumber(h[1]), min_calls = tonumber(h[2]), window = tonumber(h[3]),
    cooldown = tonumber(h[4]), probes = tonumber(h[5]),
    state = h[6] or 'c', opened = tonumber(h[7]) or 0, reopens = tonumber(h[8]) or 0,
    inflight = tonumber(h[9]) or 0, probe_ok = tonumber(h[10]) or 0, probe_at = tonumber(h[11]) or 0,
    buckets = {}, dirty = false, dirty_buckets = {}, jtype = jtype,
  }
  for i = 1, CB_BUCKETS do
    local no, calls, failures = string.match(h[11 + i] or '', '^(%d+):(%d+):(%d+)$')
    b.buckets[i] = { tonumber(no) or -1, tonumber(calls) or 0, tonumber(failures) or 0 }
  end
  breakers[jtype] = b
  return b
end

local function cb_bucket_no(b, now)
  return math.floor(now / math.max(math.floor(b.window / CB_BUCKETS), 1))
end

-- Calls and failures within the window that ends now.
local function cb_window(b, now)
  local current = cb_bucket_no(b, now)
  local calls, failures = 0, 0
  for _, bucket in ipairs(b.buckets) do
    if bucket[1] > current - CB_BUCKETS and bucket[1] <= current then
      calls, failures = calls + bucket[2], failures + bucket[3]
    end
  end
  return calls, failures
end

local function cb_open(b, now)
  b.state, b.opened, b.reopens, b.inflight, b.probe_ok = 'o', now, now + b.cooldown, 0, 0
  b.dirty = true
end

local function cb_close(b)
  b.state, b.inflight, b.probe_ok, b.dirty = 'c', 0, 0, true
  for i = 1, CB_BUCKETS do
    b.buckets[i] = { -1, 0, 0 }
    b.dirty_buckets[i] = true
  end
  -- Its jobs waited as pending: wake the consumers blocked on the marker.
  wake_type(b.jtype)
end

-- Applies what time alone changes: a cooldown that ended, probes that never reported.
local function cb_sync(b, now)
  if b.state == 'o' and now >= b.reopens then
    b.state, b.inflight, b.probe_ok, b.probe_at, b.dirty = 'h', 0, 0, now, true
  end
  if b.state == 'h' and b.inflight > 0 and now - b.probe_at > b.cooldown then
    b.inflight, b.dirty = 0, true
  end
end

-- Notes one settled outcome; cb_apply() judges them together once per call.
local function cb_record(jtype, failed)
  local o = breaker_outcomes[jtype]
  if not o then
    o = { 0, 0 }
    breaker_outcomes[jtype] = o
  end
  o[1] = o[1] + 1
  if failed then o[2] = o[2] + 1 end
end

local function cb_apply(now)
  for jtype, o in pairs(breaker_outcomes) do
    local b = cb_load(jtype)
    if b then
      cb_sync(b, now)
      if b.state == 'h' then
        if o[2] > 0 then
          cb_open(b, now)
        else
          b.inflight, b.probe_ok, b.dirty = math.max(b.inflight - o[1], 0), b.probe_ok + o[1], true
          if b.probe_ok >= b.probes then cb_close(b) end
        end
      elseif b.state ~= 'o' then
        local no = cb_bucket_no(b, now)
        local slot = no % CB_BUCKETS + 1
        local bucket = b.buckets[slot]
        if bucket[1] ~= no then
          bucket = { no, 0, 0 }
          b.buckets[slot] = bucket
        end
        bucket[2], bucket[3] = bucket[2] + o[1], bucket[3] + o[2]
        b.dirty_buckets[slot] = true
        local calls, failures = cb_window(b, now)
        if calls >= b.min_calls and failures >= b.rate * calls then cb_open(b, now) end
      end
    end
  end
end

-- Whether a take may lease jobs of this type now; narrows take_limits to the free probes.
local function cb_admits(jtype, now)
  local limit = take_limits[jtype]
  if limit and limit <= 0 then return false end
  local b = cb_load(jtype)
  if not b then return true end
  cb_sync(b, now)
  if b.state == 'o' then
    if not earliest_reopen or b.reopens < earliest_reopen then earliest_reopen = b.reopens end
    return false
  end
  if b.state == 'h' then
    local free = b.probes - b.inflight
    if free <= 0 then return false end
    take_limits[jtype] = math.min(limit or free, free)
  end
  return true
end

-- A job of this type was leased: in half-open it is a probe.
local function cb_taken(jtype, now)
  local b = breakers[jtype]
  if b and b.state == 'h' then
    b.inflight, b.probe_at, b.dirty = b.inflight + 1, now, true
  end
end

local function take_limit(jtype, n)
  local limit = take_limits[jtype]
  if limit and limit < n then return limit end
  return n
end

local function cb_save()
  for jtype, b in pairs(breakers) do
    if b then
      local set, del = {}, {}
      if b.dirty then
        set = { 'st', b.state, 'oa', b.opened, 'ra', b.reopens, 'pi', b.inflight, 'po', b.probe_ok, 'pt', b.probe_at }
      end
      for slot in pairs(b.dirty_buckets) do
        local bucket = b.buckets[slot]
        if bucket[1] < 0 then
          del[#del + 1] = 'b' .. (slot - 1)
        else
          set[#set + 1] = 'b' .. (slot - 1)
          set[#set + 1] = string.format('%d:%d:%d', bucket[1], bucket[2], bucket[3])
        end
      end
      if #set > 0 then redis.call('HSET', breaker_key(jtype), unpack(set)) end
      if #del > 0 then redis.call('HDEL', breaker_key(jtype), unpack(del)) end
    end
  end
end

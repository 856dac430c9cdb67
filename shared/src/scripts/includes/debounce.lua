--[[
  Debounce and throttle by key (add-jobs). A submission's debounce field is
  '<d|t>|<windowMs>|<key>'; the record debounce:<type>:<key> names the job the key
  belongs to (its seq), with the window as TTL.
    d  debounce: while the window lasts and the job has not started (pending or
       scheduled), the submission replaces its payload, run time and expiry, and
       the window starts again; a job that started (or finished) gets a successor,
       a new job that opens a new window
    t  throttle: while the window lasts, the submission is dropped, whatever the
       state of the job it let through: at most one job per key per window
  One table and its parser, within Lua's 200 locals per chunk.
  Requires keys, transitions, events, expiry.
]]

local debounce = {}
-- Reply codes of add-jobs for a submission a debounce key took.
debounce.REPLACED, debounce.DROPPED = 2, 3

function debounce.parse(field)
  local mode, window, key = string.match(field, '^([dt])|(%d+)|(.+)$')
  return mode, tonumber(window), key
end

function debounce.is_field(field)
  local mode, window = debounce.parse(field)
  return mode ~= nil and window >= 1
end

-- The job this submission goes to instead of a new one, and the reply code; false for a new job.
function debounce.match(jtype, field)
  if field == '' then return false end
  local mode, _, key = debounce.parse(field)
  local seq = redis.call('GET', debounce_key(jtype, key))
  if not seq then return false end
  local state = redis.call('HGET', job_key(seq), 's')
  -- A job removed or trimmed since no longer holds its key.
  if not state then return false end
  if mode == 't' then return seq, debounce.DROPPED end
  if state == 'pending' or state == 'scheduled' then return seq, debounce.REPLACED end
  return false
end

-- The key names `seq` for a window from now (a new job, or one debounce replaced).
function debounce.remember(jtype, field, seq)
  local _, window, key = debounce.parse(field)
  redis.call('SET', debounce_key(jtype, key), seq, 'PX', window)
end

--[[
  Replaces a waiting job's payload, run time (`due`, ms) and expiry (ms, or nil for
  none) with a later submission's. A pending job whose new run time is ahead goes
  back to scheduled, a scheduled one whose run time has come becomes pending; one
  that stays pending keeps its place in line. Returns how many bytes the payload
  grew by (negative when it shrank), for the queue's accounted bytes (queue-bytes.lua).
]]
function debounce.replace(seq, payload, due, expires_at)
  -- The job may come from this very call: its index writes must land before they move.
  flush_changes()
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 's', 't', 'p', 'ex')
  local state, jtype = job[1], job[2]
  local grown = #payload - redis.call('HSTRLEN', jk, 'd')
  redis.call('HSET', jk, 'd', payload)
  if due > NOW then
    if state == 'pending' then
      expiry.remove_pending(seq, jtype)
      redis.call('HSET', jk, 's', 'scheduled')
    end
    redis.call('HSET', jk, 'ra', due)
    enqueue_scheduled(seq, jtype, due)
    emit('scheduled', seq, 'reason', 'debounced', 'runAt', due)
  elseif state == 'scheduled' then
    defer_remove(index_key('scheduled', jtype), seq)
    redis.call('HSET', jk, 's', 'pending', 'pa', NOW)
    enqueue_pending(seq, jtype, tonumber(job[3]) or 5, next_order())
    emit('pending', seq, 'reason', 'debounced')
  else
    emit('pending', seq, 'reason', 'debounced')
  end
  if expires_at then
    expiry.track(seq, expires_at)
  elseif job[4] then
    expiry.forget(seq)
  end
  return grown
end

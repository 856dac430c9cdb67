--[[
  Job expiry: a job submitted with an expiry (field `ex`, ms in Redis's clock) that
  has not started by then is canceled with reason `expired` (field `fr`), and never
  runs late. `ex` is present exactly while the job waits for its first start
  (blocked, scheduled or pending), and then the job is in the `expiring` sorted set
  with `ex` as its score; starting, canceling or failing the job drops both. A job
  that started once (a retry after a failed attempt, a released job) has no expiry
  left.

  Two paths enforce it: take refuses to lease an expired job (expiry.at_lease), and
  maintenance cancels the expired jobs nobody takes (expiry.expire_due), each in
  O(log n). A job counts as expired from its expiry's millisecond on (now >= ex).
  One table, so that the includes stay within Lua's 200 locals per chunk.
  Requires keys, pending, transitions (and groups), events, stats, dependencies (stop_waiting).
]]
local expiry = {}

function expiry.is_expired(at, now) return now >= at end

-- A submission's expiry field (add-jobs): 'a<ms>' at that time, 'r<ms>' that long
-- from now, '' none. Returns the time in ms, or nil.
function expiry.is_field(field) return field == '' or string.match(field, '^[ar]%d+$') ~= nil end
function expiry.of_field(field, now)
  if field == '' then return nil end
  local kind, ms = string.match(field, '^([ar])(%d+)$')
  return kind == 'a' and tonumber(ms) or now + tonumber(ms)
end

-- The job keeps an expiry until its first start: indexed so maintenance finds it.
function expiry.track(seq, at)
  redis.call('HSET', job_key(seq), 'ex', at)
  defer_add(EXPIRING_KEY, at, seq)
end

-- Started, canceled or failed before its expiry: the expiry no longer applies.
function expiry.forget(seq)
  redis.call('HDEL', job_key(seq), 'ex')
  defer_remove(EXPIRING_KEY, seq)
end

-- Takes a pending job out of pending, and out of its group's lane when it has one.
function expiry.remove_pending(seq, jtype)
  local job = redis.call('HMGET', job_key(seq), 'p', 'po', 'g')
  dequeue_pending(seq, jtype, tonumber(job[1]) or 5, tonumber(job[2]) or tonumber(seq), job[3])
end

-- The cancel transition of cancel-job, with reason `expired`. The caller took the
-- job out of its state's index.
function expiry.cancel(seq, jtype, state, now)
  redis.call('HSET', job_key(seq), 's', 'canceled', 'f', now, 'fr', 'expired')
  expiry.forget(seq)
  enter_final(seq, jtype, 'canceled', now)
  stat_count('canceled', 1)
  emit('canceled', seq, 'from', state, 'reason', 'expired')
end

-- Whether the queue has jobs with an expiry at all, asked once per call: a queue
-- that uses none pays one EXISTS per take, not a read per job.
on_call(function()
  expiry.any = nil
end)

--[[
  At lease time (the job was popped from the pending index): true when the job
  expired, which is then canceled instead of leased; otherwise its expiry, if any,
  is dropped, since it starts now.
]]
function expiry.at_lease(seq, jtype, now)
  if expiry.any == nil then expiry.any = redis.call('EXISTS', EXPIRING_KEY) == 1 end
  if not expiry.any then return false end
  local at = redis.call('HGET', job_key(seq), 'ex')
  if not at then return false end
  if not expiry.is_expired(tonumber(at) or 0, now) then
    expiry.forget(seq)
    return false
  end
  expiry.cancel(seq, jtype, 'pending', now)
  -- The take that found it got one job fewer than it could: let a consumer look again.
  wake_type(jtype)
  return true
end

-- Cancels up to `limit` expired jobs nobody took, oldest expiry first; returns how many it examined.
function expiry.expire_due(now, limit)
  local due = redis.call('ZRANGEBYSCORE', EXPIRING_KEY, '-inf', now, 'LIMIT', 0, limit)
  for _, seq in ipairs(due) do
    local job = redis.call('HMGET', job_key(seq), 's', 't', 'ex', 'dp')
    local state, jtype = job[1], job[2]
    if job[3] and (state == 'pending' or state == 'scheduled' or state == 'blocked') then
      if state == 'pending' then
        expiry.remove_pending(seq, jtype)
      else
        defer_remove(index_key(state, jtype), seq)
      end
      if state == 'blocked' then stop_waiting(seq, job[4]) end
      expiry.cancel(seq, jtype, state, now)
    else
      -- Not waiting any more (or gone): a stale entry, repaired from the hash.
      defer_remove(EXPIRING_KEY, seq)
    end
  end
  -- Before anything else reads the indexes: a scheduled job canceled here must not be promoted.
  if #due > 0 then flush_changes() end
  return #due
end

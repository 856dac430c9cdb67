--[[
  Job dependencies within one queue (so every step stays in one slot).

  Job hash:  dp  comma-separated parent seqs     dn  parents not yet resolved
             op  'i' when the job runs even if a parent fails (onParentFailure ignore)
             fp  the parent whose failure failed this job
             hp  1 while the job holds its parents (from its linking until it is
                 final): they are kept so it can read their outcome and results
             hb  (on a parent) how many children hold it: while > 0 the parent is
                 in the `protected` set and is never deleted or trimmed, so no
                 child is stranded and no child's run finds its results gone
  children:<seq>  set of the job's dependents (kept while the job exists)
  waiting:<seq>   set of dependents still blocked on the job's outcome
  resolving       list of "<seq>:<c|f>": finished parents whose waiting set is
                  being worked off, at most `budget` children per script call, so
                  a fan-out of 10,000 never holds Redis for long

  A canceled parent counts as failed. Requires transitions, failure (append_error).
]]

local function split_seqs(list)
  local seqs = {}
  if list then
    for s in string.gmatch(list, '[^,]+') do seqs[#seqs + 1] = s end
  end
  return seqs
end

-- A blocked child failed or canceled early stops waiting on all its parents: a
-- stale outcome must never count towards a later blocking of the same child. (An
-- unblocked child has been taken out of every waiting set already.)
local function stop_waiting(child, parents_list)
  for _, parent in ipairs(split_seqs(parents_list)) do redis.call('SREM', waiting_key(parent), child) end
end

-- A child that became final lets go of its parents, once (the `hp` flag).
local function release_parents(child)
  if redis.call('HDEL', job_key(child), 'hp') == 0 then return end
  for _, parent in ipairs(split_seqs(redis.call('HGET', job_key(child), 'dp'))) do
    if redis.call('EXISTS', job_key(parent)) == 1 then
      local holders = redis.call('HINCRBY', job_key(parent), 'hb', -1)
      if holders <= 0 then
        redis.call('SREM', PROTECTED_KEY, parent)
        -- Retention may have passed it by while it was protected: it starts over.
        local job = redis.call('HMGET', job_key(parent), 's', 't')
        forget_trim_cursor(job[1], job[2])
      end
    end
  end
end
on_final[#on_final + 1] = function(seq, holds)
  if holds ~= false then release_parents(seq) end
end

-- Set additions are collected per parent and written once per call (flush_links),
-- so a batch of 1,000 children of one parent costs a few commands, not thousands.
local LINKS
-- Parent states read during one add-jobs call: nothing else changes them meanwhile.
local PARENT_STATES
on_call(function()
  LINKS, PARENT_STATES = {}, nil
end)

local function links_of(parent)
  local links = LINKS[parent]
  if not links then
    links = { children = {}, waiting = {}, blocked = 0 }
    LINKS[parent] = links
  end
  return links
end

local function flush_links()
  local protected = {}
  for parent, links in pairs(LINKS) do
    if #links.children > 0 then call_in_slices('SADD', children_key(parent), links.children) end
    if #links.waiting > 0 then call_in_slices('SADD', waiting_key(parent), links.waiting) end
    if links.blocked ~= 0 then
      redis.call('HINCRBY', job_key(parent), 'hb', links.blocked)
      protected[#protected + 1] = parent
    end
  end
  if #protected > 0 then call_in_slices('SADD', PROTECTED_KEY, protected) end
  LINKS = {}
end
before_flush[#before_flush + 1] = flush_links

local function parent_state(parent)
  if not PARENT_STATES then return redis.call('HGET', job_key(parent), 's') end
  local state = PARENT_STATES[parent]
  if state == nil then
    state = redis.call('HGET', job_key(parent), 's')
    PARENT_STATES[parent] = state
  end
  return state
end

-- Blocked -> pending (or scheduled, when its delay is still ahead).
local function unblock(seq, jtype, priority, run_at, now)
  defer_remove(index_key('blocked', jtype), seq)
  local jk = job_key(seq)
  if run_at and run_at > now then
    redis.call('HSET', jk, 's', 'scheduled')
    redis.call('HDEL', jk, 'dn')
    enqueue_scheduled(seq, jtype, run_at)
    queue_event('scheduled', seq)
  else
    redis.call('HSET', jk, 's', 'pending', 'pa', now)
    redis.call('HDEL', jk, 'dn')
    enqueue_pending(seq, jtype, priority, next_order())
    queue_event('pending', seq)
  end
end

-- `was_blocked`: the job counted as a blocked child of its parents until now.
local function fail_for_parent(seq, jtype, parent_seq, now, was_blocked)
  local jk = job_key(seq)
  if was_blocked then stop_waiting(seq, redis.call('HGET', jk, 'dp')) end
  -- The parent's full id (<queue>:<seq>, the queue from the key prefix rq:{queue}:), so
  -- the message can be pasted into GET /v1/jobs/:id as it is.
  local parent_state = redis.call('HGET', job_key(parent_seq), 's')
  local outcome = parent_state == 'canceled' and 'was canceled'
    or (parent_state == 'failed' and 'failed' or 'failed or was canceled')
  local message = 'dependency ' .. (string.match(P, '{(.*)}:$') or '') .. ':' .. parent_seq .. ' ' .. outcome
  local job = redis.call('HMGET', jk, 'a', 'e')
  local errors = append_error(job[2] or nil, { message = message, reason = 'dependency-failed' },
    tonumber(job[1]) or 0, now)
  redis.call('HSET', jk, 's', 'failed', 'f', now, 'fr', 'dependency-failed', 'fp', parent_seq, 'e', errors)
  -- It never started: its expiry, if any, is over (see expiry.lua).
  redis.call('HDEL', jk, 'dn', 'ex')
  defer_remove(EXPIRING_KEY, seq)
  enter_final(seq, jtype, 'failed', now)
  stat_count('failed', 1)
  emit('failed', seq, 'reason', 'dependency-failed', 'parent', parent_seq)
end

-- Applies one parent's outcome ('c' completed, 'f' failed or canceled) to a child.
local function apply_parent_outcome(child, parent_seq, outcome, now)
  local jk = job_key(child)
  local job = redis.call('HMGET', jk, 's', 't', 'op', 'p', 'ra')
  if job[1] ~= 'blocked' then return end -- canceled or failed meanwhile: nothing to do
  if outcome == 'f' and job[3] ~= 'i' then
    defer_remove(index_key('blocked', job[2]), child)
    fail_for_parent(child, job[2], parent_seq, now, true)
    return
  end
  if redis.call('HINCRBY', jk, 'dn', -1) <= 0 then
    unblock(child, job[2], tonumber(job[4]) or 5, tonumber(job[5]), now)
  end
end

-- Works off finished parents' waiting sets, at most `budget` children. Returns
-- true when work remains (callers then wake consumers, who call again).
local function resolve_dependents(budget, now)
  flush_links() -- children linked earlier in this call must be seen
  while budget > 0 do
    local head = redis.call('LINDEX', RESOLVING_KEY, 0)
    if not head then return false end
    local parent_seq, outcome = string.match(head, '^(%d+):(%a)$')
    -- The parent may have been retried since it finished: a stale outcome resolves nobody.
    local state = redis.call('HGET', job_key(parent_seq), 's')
    local current = (outcome == 'c' and state == 'completed')
      or (outcome == 'f' and (state == 'failed' or state == 'canceled'))
    local children = current and redis.call('SPOP', waiting_key(parent_seq), budget) or {}
    if not current then redis.call('LPOP', RESOLVING_KEY) end
    for _, child in ipairs(children) do apply_parent_outcome(child, parent_seq, outcome, now) end
    budget = budget - math.max(#children, 1)
    if current and redis.call('EXISTS', waiting_key(parent_seq)) == 0 then redis.call('LPOP', RESOLVING_KEY) end
  end
  return redis.call('EXISTS', RESOLVING_KEY) == 1
end

--[[
  Links a job to its parents at submission (or re-evaluation on retry). Returns
  'blocked' with the count of unresolved parents, 'failed' with the parent that
  failed (fail policy), or 'ready'. Parents must exist (checked by the caller).
]]
local function link_parents(seq, parent_seqs, ignore_failures)
  local unresolved, failed_parent = {}, nil
  local existing = {}
  for _, parent in ipairs(parent_seqs) do
    local state = parent_state(parent)
    -- A parent deleted since (only final jobs can be) is over: nothing to wait for or keep.
    if state then
      existing[#existing + 1] = parent
      local links = links_of(parent)
      links.children[#links.children + 1] = seq
    end
    if not state then
      -- resolved long ago
    elseif state == 'failed' or state == 'canceled' then
      if not ignore_failures and not failed_parent then failed_parent = parent end
    elseif state ~= 'completed' then
      unresolved[#unresolved + 1] = parent
    end
  end
  if failed_parent then return 'failed', failed_parent end
  -- Every parent, completed ones included, is kept until this job is final: it will
  -- read their results when it runs.
  if #existing > 0 then
    redis.call('HSET', job_key(seq), 'hp', 1)
    for _, parent in ipairs(existing) do
      local links = links_of(parent)
      links.blocked = links.blocked + 1
    end
  end
  if #unresolved == 0 then return 'ready', 0 end
  for _, parent in ipairs(unresolved) do
    local links = links_of(parent)
    links.waiting[#links.waiting + 1] = seq
  end
  return 'blocked', #unresolved
end

--[[
  Sends a failed or canceled job back to work with attempts reset, re-evaluating
  its parents like a new submission: unfinished parents block it again. Returns
  'pending' or 'blocked', or false plus the parent that is still failed (fail
  policy), in which case nothing changed.
]]
local function requeue_with_parents(seq, jtype, state, parents_list, ignore_failures)
  local parents = split_seqs(parents_list)
  if #parents == 0 then
    requeue_final(seq, jtype, state)
    return 'pending'
  end
  local verdict, detail = link_parents(seq, parents, ignore_failures)
  if verdict == 'failed' then return false, detail end
  if verdict == 'ready' then
    requeue_final(seq, jtype, state)
    return 'pending'
  end
  local jk = job_key(seq)
  defer_remove(index_key(state, jtype), seq)
  redis.call('HSET', jk, 's', 'blocked', 'a', 0, 'dn', detail)
  redis.call('HDEL', jk, 'f', 'fr', 'fp', 'r', 'pg', 'pd')
  defer_add(index_key('blocked', jtype), time_score(NOW, seq), seq)
  queue_event('blocked', seq)
  return 'blocked'
end


--[[
  Cascading retry: dependents that failed because of a retried job are re-armed
  (blocked on it again), and so on down the graph. The list `rearm` holds
  "<parent>" or "<parent>:<SSCAN cursor>": a parent's children are walked in SSCAN
  steps of about 100, so one call handles a bounded number of children (a set of
  up to 512 children, stored compactly, comes in one step) whatever the fan-out,
  and an interrupted cascade resumes where it stopped, from any caller (retry-job,
  maintain-queue). A child seen twice by SSCAN is re-armed once: it is no longer
  failed. Returns true when work remains.
]]
local function rearm_dependents(budget)
  while budget > 0 do
    local head = redis.call('LINDEX', REARM_KEY, 0)
    if not head then return false end
    local parent, cursor = string.match(head, '^(%d+):?(%d*)$')
    if not parent then
      redis.call('LPOP', REARM_KEY) -- not ours: never let it block the list
    else
      local reply = redis.call('SSCAN', children_key(parent), cursor ~= '' and cursor or '0', 'COUNT', 100)
      for _, child in ipairs(reply[2]) do
        local job = redis.call('HMGET', job_key(child), 's', 'fp', 't', 'dp', 'op')
        if job[1] == 'failed' and job[2] == parent then
          if requeue_with_parents(child, job[3], 'failed', job[4] or nil, job[5] == 'i') then
            redis.call('RPUSH', REARM_KEY, child)
          end
        end
      end
      budget = budget - math.max(#reply[2], 1)
      if reply[1] == '0' then
        redis.call('LPOP', REARM_KEY)
      else
        redis.call('LSET', REARM_KEY, 0, parent .. ':' .. reply[1])
      end
    end
  end
  return redis.call('EXISTS', REARM_KEY) == 1
end

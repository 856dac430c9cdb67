--[[
  Repairs an index from its job's hash. The hash is the truth: a job whose state
  says one thing while an index says another (left by a script that failed
  half-way, before writes were validated up front) is put back in the index of
  the state its hash records, and never moved to match a stale entry.
  Requires keys, scores, pending, transitions.
]]
local function index_has(key, seq) return redis.call('ZSCORE', key, seq) ~= false end

local function repair_index_entry(seq, jtype, state)
  local job = redis.call('HMGET', job_key(seq), 'f', 'ra', 'c', 'p', 'po', 'g')
  if state == 'completed' or state == 'failed' or state == 'canceled' then
    -- enter_final also resolves the dependents the failed script never told.
    if not index_has(index_key(state, jtype), seq) then
      enter_final(seq, jtype, state, tonumber(job[1]) or NOW)
    end
  elseif state == 'scheduled' then
    if not index_has(index_key('scheduled', jtype), seq) then
      enqueue_scheduled(seq, jtype, tonumber(job[2]) or NOW)
    end
  elseif state == 'blocked' then
    if not index_has(index_key('blocked', jtype), seq) then
      defer_add(index_key('blocked', jtype), time_score(tonumber(job[3]) or NOW, seq), seq)
    end
  elseif state == 'pending' then
    local score = pending_score(tonumber(job[4]) or 5, tonumber(job[5]) or tonumber(seq))
    local index = job[6] and FLOW_KEYS.grouped_index(jtype) or jtype
    if not index_has(pending_shard_key(index, shard_of(score)), seq) then
      if job[6] then
        fair.enqueue(seq, jtype, job[6], score)
      else
        pending_add(seq, jtype, score)
      end
      wake_type(jtype)
    end
  end
end

--[[
  A handler reported that the system it calls is limiting it ("429, retry after
  X"): the job did not fail, so it keeps its attempt and waits X before it may
  start again. With scope group, type or queue, nothing else of that scope starts
  before then either (a hold in the scope's GCRA time, see limits.lua); scope group
  on a job without a group holds just the job. Counted as `limited` in stats.
  Requires transitions, events, stats.
]]
local function limited_upstream(seq, jtype, group, report, now)
  local jk = job_key(seq)
  local job = redis.call('HMGET', jk, 'a', 'p')
  local attempt = math.max((tonumber(job[1]) or 1) - 1, 0)
  local until_at = now + report.after
  if report.scope == 'group' and group then
    flow.hold('g:' .. jtype .. ':' .. group, until_at)
  elseif report.scope == 'type' then
    flow.hold('t:' .. jtype, until_at)
  elseif report.scope == 'queue' then
    flow.hold('q', until_at)
  end
  stat_count('limited', 1)
  if report.after > 0 then
    redis.call('HSET', jk, 's', 'scheduled', 'a', attempt, 'ra', until_at)
    enqueue_scheduled(seq, jtype, until_at)
    emit('scheduled', seq, 'reason', 'limited-upstream', 'runAt', until_at)
    return 'scheduled'
  end
  redis.call('HSET', jk, 's', 'pending', 'a', attempt, 'pa', now)
  enqueue_pending(seq, jtype, tonumber(job[2]) or 5, next_order(), group)
  emit('pending', seq, 'reason', 'limited-upstream')
  return 'pending'
end

--[[
  Rate limits and global concurrency, shared by every worker of the queue.

    limits   hash of rules, set by set-flow-limits.lua:
               q          the whole queue
               t:<type>   one job type
               g:<type>   each group (tenant) of one job type, on its own
             a rule is "<rate>,<windowMs>,<burst>,<concurrency>"; rate 0 means no rate
             limit, concurrency 0 no concurrency limit; field h marks that some scope
             is held (below)
    gcra     hash scope -> theoretical arrival time (ms, fractional) of the scope's
             GCRA: <rate> starts per <windowMs>, paced one every windowMs/rate, at
             most <burst> at once (so at most rate + burst in any window).
             Scopes: 'q', 't:<type>', 'g:<type>:<group>'. A time set by a worker's
             "rate limited upstream, retry after X" holds a scope even without a rule.

  GCRA keeps one number per scope whatever the rate, and answers "how many may
  start now" and "when may the next one start" in O(1); a sliding log would keep
  one entry per start. Running counts come from the processing index (type, queue)
  and from the running:<type> hash (groups; see groups.lua).
  Functions live in the table `flow` (Lua allows a script 200 locals).
  Requires keys. Rules are read once per script call, on first use.
]]
local flow = { UNLIMITED = 1e15 }
on_call(function()
  -- Earliest time a limit that held jobs back in this call lets one more start, or false.
  flow.earliest = false
  flow.rules_read = nil
  flow.gcra_state, flow.gcra_dirty = {}, {}
  -- Jobs started in this call, which the indexes read in it do not show yet.
  flow.started_in_call = {}
end)

function flow.note_wait(at)
  if not flow.earliest or at < flow.earliest then flow.earliest = at end
end

function flow.parse_rule(text)
  local rate, window, burst, concurrency = string.match(text or '', '^(%d+),(%d+),(%d+),(%d+)$')
  if not rate then return { held = true } end
  rate, window, burst, concurrency = tonumber(rate), tonumber(window), tonumber(burst), tonumber(concurrency)
  local rule = { concurrency = concurrency > 0 and concurrency or nil }
  if rate > 0 and window > 0 then
    rule.interval = window / rate
    rule.tolerance = (math.max(burst, 1) - 1) * rule.interval
  end
  return rule
end

-- Rules by field; empty when the queue has none (one EXISTS when unused).
function flow.rules()
  if flow.rules_read then return flow.rules_read end
  flow.rules_read = {}
  if redis.call('EXISTS', FLOW_KEYS.limits) == 1 then
    local flat = redis.call('HGETALL', FLOW_KEYS.limits)
    for i = 1, #flat, 2 do flow.rules_read[flat[i]] = flow.parse_rule(flat[i + 1]) end
  end
  return flow.rules_read
end

function flow.gcra_time(scope)
  local value = flow.gcra_state[scope]
  if value == nil then
    value = tonumber(redis.call('HGET', FLOW_KEYS.gcra, scope)) or 0
    flow.gcra_state[scope] = value
  end
  return value
end

-- Where the next start's slot begins. A slot missed by less than one interval is
-- still used (a consumer woken a little late loses no rate); an older one is not
-- (an idle scope gets `burst` at once, never more).
function flow.gcra_from(tat, rule, now)
  if tat <= now - rule.interval then return now end
  return tat
end

-- How many jobs of a scope may start now by its rate (and hold), and if none, when one may.
function flow.rate_capacity(scope, rule, now)
  if next(flow.rules()) == nil then return flow.UNLIMITED end
  local tat = flow.gcra_time(scope)
  if not rule or not rule.interval then
    if tat > now then return 0, tat end
    return flow.UNLIMITED
  end
  local from = flow.gcra_from(tat, rule, now)
  if from - rule.tolerance > now then return 0, from - rule.tolerance end
  return math.floor((now + rule.tolerance - from) / rule.interval) + 1
end

-- A worker reported "rate limited upstream, retry after": nothing of the scope starts
-- before `at`. The hold marks the queue as limited (field h), so takes look at held
-- scopes even in a queue without rules.
function flow.hold(scope, at)
  if next(flow.rules()) == nil then
    redis.call('HSET', FLOW_KEYS.limits, 'h', '1')
    flow.rules_read.h = { held = true }
  end
  if at > flow.gcra_time(scope) then
    flow.gcra_state[scope] = at
    flow.gcra_dirty[scope] = true
  end
end

function flow.flush_gcra()
  local args = {}
  for scope in pairs(flow.gcra_dirty) do
    args[#args + 1] = scope
    args[#args + 1] = string.format('%.3f', flow.gcra_state[scope])
  end
  if #args > 0 then redis.call('HSET', FLOW_KEYS.gcra, unpack(args)) end
  flow.gcra_dirty = {}
end

-- (allowed, wait): how many may start now, and when one may if the rate (not a
-- concurrency slot) is what holds them back.
function flow.capacity(scope, rule, running, now)
  local allowed, wait = flow.rate_capacity(scope, rule, now)
  if rule and rule.concurrency then
    allowed = math.min(allowed, math.max(rule.concurrency - running - (flow.started_in_call[scope] or 0), 0))
  end
  if allowed == 0 and wait then flow.note_wait(wait) end
  return allowed, allowed == 0 and wait or nil
end

local function running_of_type(jtype) return redis.call('ZCARD', index_key('processing', jtype)) end

-- How many jobs the queue may start now; `types` are all its types (for a concurrency rule).
function flow.queue_capacity(types, now)
  local rule = flow.rules().q
  local running = 0
  if rule and rule.concurrency then
    for _, jtype in ipairs(types) do running = running + running_of_type(jtype) end
  end
  return flow.capacity('q', rule, running, now)
end

function flow.type_capacity(jtype, now)
  local scope = 't:' .. jtype
  local rule = flow.rules()[scope]
  return flow.capacity(scope, rule, rule and rule.concurrency and running_of_type(jtype) or 0, now)
end

function flow.group_capacity(jtype, group, now)
  local rule = flow.rules()['g:' .. jtype]
  local running = 0
  if rule and rule.concurrency then
    running = tonumber(redis.call('HGET', FLOW_KEYS.running(jtype), group)) or 0
  end
  return flow.capacity('g:' .. jtype .. ':' .. group, rule, running, now)
end

function flow.count_started(scope, rule, started, now)
  flow.started_in_call[scope] = (flow.started_in_call[scope] or 0) + started
  if started ~= 0 and rule and rule.interval then
    -- A start moves the scope's time on from its slot; a give-back (negative) moves it back.
    local from = started > 0 and flow.gcra_from(flow.gcra_time(scope), rule, now) or flow.gcra_time(scope)
    flow.gcra_state[scope] = from + started * rule.interval
    flow.gcra_dirty[scope] = true
  end
end

-- Counts jobs started in this call against the queue and their type.
function flow.started(jtype, started, now)
  local rules = flow.rules()
  flow.count_started('q', rules.q, started, now)
  flow.count_started('t:' .. jtype, rules['t:' .. jtype], started, now)
end

-- Counts jobs started in this call against their group.
function flow.group_started(jtype, group, started, now)
  flow.count_started('g:' .. jtype .. ':' .. group, flow.rules()['g:' .. jtype], started, now)
end

-- A job counted by group_started that did not start after all (take refused it).
function flow.group_unstarted(jtype, group, now)
  flow.count_started('g:' .. jtype .. ':' .. group, flow.rules()['g:' .. jtype], -1, now)
end

-- Whether a job of this type that ends may let another one start (idle consumers must be woken).
function flow.slot_limited(jtype)
  local rules = flow.rules()
  -- Asked once per settled job: most queues have no rules, and the names cost concatenations.
  if next(rules) == nil then return false end
  local q, t, g = rules.q, rules['t:' .. jtype], rules['g:' .. jtype]
  return (q and q.concurrency or t and t.concurrency or g and g.concurrency) and true or false
end

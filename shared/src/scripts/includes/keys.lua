--[[
  Key layout as seen from Lua. Mirrors shared/src/keys.ts. Every script receives
  the same six fixed keys of one queue (declared, so Redis and Cluster clients know
  the slot) and, in ARGV[1], the queue's prefix `rq:{<queue>}:`; per-job and
  per-type keys derive from that prefix, so they hash to the same slot.
]]
local META_KEY, TYPES_KEY, MARKER_KEY, EVENTS_KEY, STATS_KEY, SEQ_KEY, P
-- The meta hash's field holding the queue's accounted bytes (see queue-bytes.lua).
local QUEUE_BYTES_FIELD = 'bytes'

local function job_key(seq) return P .. 'j:' .. seq end
local function log_key(seq) return P .. 'log:' .. seq end
-- Index keys are built once per queue prefix: the hot path asks for the same few.
local INDEX_KEYS
local function index_key(state, jtype)
  local of_state = INDEX_KEYS[state]
  if not of_state then
    of_state = {}
    INDEX_KEYS[state] = of_state
  end
  local key = of_state[jtype]
  if not key then
    key = P .. state .. ':' .. jtype
    of_state[jtype] = key
  end
  return key
end
local function breaker_key(jtype) return P .. 'cb:' .. jtype end

-- Keys only scripts touch.
local function pending_shard_key(jtype, shard) return index_key('pending', jtype) .. ':' .. shard end
local PENDING_COUNT_KEY
local function idempotency_key(key) return P .. 'idem:' .. key end
-- Jobs that have not started yet and carry an expiry, by expiry time (see expiry.lua).
local EXPIRING_KEY
-- A type name has no ':', so the key after it is the debounce key whatever it holds.
local function debounce_key(jtype, key) return P .. 'debounce:' .. jtype .. ':' .. key end
local function children_key(seq) return P .. 'children:' .. seq end
local function waiting_key(seq) return P .. 'waiting:' .. seq end
local function type_marker_key(jtype) return P .. 'marker:' .. jtype end
local RESOLVING_KEY
local REARM_KEY
local PROTECTED_KEY
local TRIM_CURSOR_KEY
local function throughput_key(minute) return P .. 'tp:' .. minute end
local function latency_key(minute) return P .. 'lat:' .. minute end
local HIST_KEY
-- Stats rollups (see rollup-stats.lua): what is sealed, gauge samples, per-minute and per-hour history.
local ROLLUP_KEY
local function gauge_sample_key(minute) return P .. 'gs:' .. minute end
local function minute_rollup_key(hour) return P .. 'm1:' .. hour end
local function hour_accumulator_key(hour) return P .. 'hacc:' .. hour end
local function hour_rollup_key(day) return P .. 'h1:' .. day end
-- Flow control (includes/limits.lua, includes/groups.lua), in one table: Lua allows a
-- script 200 locals. A type name has no ':' and no '~', so these never collide with
-- the per-state indexes of another type.
local FLOW_KEYS = {
  grouped_index = function(jtype) return jtype .. '~' end,
  lane = function(jtype, group) return P .. 'lane:' .. jtype .. ':' .. group end,
  ring = function(jtype) return P .. 'ring:' .. jtype end,
  parked = function(jtype) return P .. 'parked:' .. jtype end,
  running = function(jtype) return P .. 'running:' .. jtype end,
  weights = function(jtype) return P .. 'weights:' .. jtype end,
}
-- Repeatable schedules (schedule-write.lua, schedule-advance.lua, due-schedules.lua), in one
-- table so the scripts that do not use them spend one local on them. 'schedule…' is no state.
local SCHEDULE_KEYS = {
  of = function(id) return P .. 'schedule:' .. id end,
  runs = function(id) return P .. 'schedule-runs:' .. id end,
}

-- The keys derived from the prefix are kept while calls come for the same queue (a
-- worker's stream of calls): building them is a dozen string concatenations.
on_call(function()
  META_KEY, TYPES_KEY, MARKER_KEY = KEYS[1], KEYS[2], KEYS[3]
  EVENTS_KEY, STATS_KEY, SEQ_KEY = KEYS[4], KEYS[5], KEYS[6]
  if ARGV[1] == P then return end
  P = ARGV[1]
  INDEX_KEYS = {}
  PENDING_COUNT_KEY, EXPIRING_KEY = P .. 'pending-count', P .. 'expiring'
  RESOLVING_KEY, REARM_KEY, PROTECTED_KEY = P .. 'resolving', P .. 'rearm', P .. 'protected'
  TRIM_CURSOR_KEY, HIST_KEY, ROLLUP_KEY = P .. 'trim-cursor', P .. 'hist', P .. 'rollup'
  FLOW_KEYS.limits, FLOW_KEYS.gcra = P .. 'limits', P .. 'gcra'
  SCHEDULE_KEYS.ids, SCHEDULE_KEYS.due, SCHEDULE_KEYS.stats = P .. 'schedule-ids', P .. 'schedule-due', P .. 'schedule-stats'
end)

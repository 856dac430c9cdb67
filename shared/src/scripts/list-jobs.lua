--[[
  list-jobs: one page of jobs in one state (optionally of one type), newest first,
  with a cursor that stays exact while jobs are added; or, with no state, one page
  across every state. Cost is O(sources x (log n + page)) where sources are the
  type indexes (x 10 priority bands for pending, whose index is ordered by run
  order rather than age; x 7 states when no state is given).

  Order key: pending -> the order number (score minus its band); others -> score.
  Pending indexes are sharded (see includes/pending.lua): the walk goes shard by
  shard from the cursor down.
  Ties on the order key are broken by seq, descending.

  Every state: pending jobs come first (newest order number first: their index
  holds no time), then the six other states merged into one order by their index
  scores, which are all times in ms (blocked since, run time, lease deadline,
  finish time), ties broken by seq (includes/scores.lua). The cursor names its phase:
  'p:<orderKey>:<seq>' inside pending, 't' at the start of the merged states,
  't:<orderKey>:<seq>' inside them.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     state ('' = every state)
  ARGV[5]     job type ('' = every type)
  ARGV[6]     cursor '<orderKey>:<seq>' (one state) or as above (every state);
              '' = first page
  ARGV[7]     page size
  ARGV[8]     priority 1-10 ('' = any). Pending jobs are indexed by priority, so
              the filter is exact there; other states are filtered as they are
              read, examining at most 2,000 entries per index: a page may then be
              short, with a cursor that resumes where the examination stopped.

  Returns: { items, nextCursor|false } where items is a list of
  { seq, HGETALL fields... } arrays; an error reply 'ERR rq-invalid-argument'
  for a cursor of the wrong form (nothing is written by this script).
]]
--!include includes/keys.lua
--!include includes/scores.lua
--!include includes/pending.lua

local state, jtype, cursor, limit = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local priority = tonumber(ARGV[8])
local EXAMINE_BUDGET = 2000
local TIMED_STATES = { 'blocked', 'scheduled', 'processing', 'completed', 'failed', 'canceled' }

local function invalid(what) return redis.error_reply('ERR rq-invalid-argument ' .. what) end
if not limit or limit < 1 or limit % 1 ~= 0 then return invalid('page size') end

-- The phase of an every-state listing ('p' pending, 't' the merged timed states).
local phase = nil
local c_key, c_seq = nil, nil
if state == '' then
  if cursor == '' then
    phase = 'p'
  elseif cursor == 't' then
    phase = 't'
  else
    local ph, k, sq = string.match(cursor, '^([pt]):([^:]+):(%d+)$')
    if not ph or not tonumber(k) then return invalid('cursor') end
    phase, c_key, c_seq = ph, tonumber(k), tonumber(sq)
  end
elseif cursor ~= '' then
  local k, sq = string.match(cursor, '^([^:]+):(%d+)$')
  if not k or not tonumber(k) then return invalid('cursor') end
  c_key, c_seq = tonumber(k), tonumber(sq)
end

-- Order of listing: order key descending, then seq descending.
local function sorts_before(key_a, seq_a, key_b, seq_b)
  if key_a ~= key_b then return key_a > key_b end
  return tonumber(seq_a) > tonumber(seq_b)
end

local function before_cursor(order_key, seq)
  if c_key == nil then return true end
  return sorts_before(c_key, c_seq, order_key, seq)
end

local function matches(seq)
  if not priority then return true end
  return (tonumber(redis.call('HGET', job_key(seq), 'p')) or 5) == priority
end

local candidates = {}
-- Where a filtered read ran out of budget: entries sorting after it were not examined.
local horizon = nil
-- Reads up to limit+1 matching entries of one index range that sort after the cursor.
local function collect(key, hi, lo, offset_of_key)
  local want, skip, taken, examined = limit + 1, 0, 0, 0
  local seen, last_score = {}, nil
  while taken < want do
    local batch = redis.call('ZREVRANGEBYSCORE', key, hi, lo, 'WITHSCORES', 'LIMIT', skip, want)
    for i = 1, #batch, 2 do
      local order_key = tonumber(batch[i + 1]) - offset_of_key
      seen[batch[i]] = true
      last_score = batch[i + 1]
      if before_cursor(order_key, batch[i]) then
        examined = examined + 1
        if matches(batch[i]) then
          candidates[#candidates + 1] = { batch[i], order_key }
          taken = taken + 1
        end
        if examined >= EXAMINE_BUDGET and taken < want then
          if not horizon or sorts_before(order_key, batch[i], horizon[2], horizon[1]) then
            horizon = { batch[i], order_key }
          end
          return
        end
      end
    end
    if #batch < want * 2 then return end
    skip = skip + want
  end
  -- Redis orders equal scores by member text, not by seq: read the whole group of
  -- the last score read, or a page edge could fall inside it and skip some.
  if last_score then
    for _, seq in ipairs(redis.call('ZRANGEBYSCORE', key, last_score, last_score)) do
      local order_key = tonumber(last_score) - offset_of_key
      if not seen[seq] and before_cursor(order_key, seq) and matches(seq) then
        candidates[#candidates + 1] = { seq, order_key }
      end
    end
  end
end

-- A type's pending jobs are in two indexes: without a group, and with one (groups.lua).
local function collect_pending(t)
  for _, index in ipairs({ t, FLOW_KEYS.grouped_index(t) }) do
    for band = 0, 9 do
      if not priority or band == 10 - priority then
        local base = band * BAND
        local taken = 0
        pending_walk_down(index, c_key and base + c_key or base + BAND - 1, base, function(seq, score)
          if before_cursor(score - base, seq) then
            candidates[#candidates + 1] = { seq, score - base }
            taken = taken + 1
          end
          return taken <= limit
        end)
      end
    end
  end
end

local types = jtype ~= '' and { jtype } or redis.call('SMEMBERS', TYPES_KEY)

-- Sorts the candidates and reads the page: { items, last, more } where more tells
-- that entries past the page exist (or were not examined: the horizon).
local function take_page()
  table.sort(candidates, function(a, b) return sorts_before(a[2], a[1], b[2], b[1]) end)
  local items, last = {}, nil
  for i = 1, math.min(limit, #candidates) do
    local c = candidates[i]
    -- Past the horizon some index was not examined: stop there, the next page resumes.
    if horizon and sorts_before(horizon[2], horizon[1], c[2], c[1]) then break end
    local fields = redis.call('HGETALL', job_key(c[1]))
    table.insert(fields, 1, c[1])
    items[#items + 1] = fields
    last = c
  end
  local next_at = nil
  if #items == limit and #candidates > limit and last then
    next_at = fmt(last[2]) .. ':' .. last[1]
  elseif horizon then
    next_at = fmt(horizon[2]) .. ':' .. horizon[1]
  end
  return items, next_at
end

if state ~= '' then
  for _, t in ipairs(types) do
    if state == 'pending' then collect_pending(t) else collect(index_key(state, t), c_key and fmt(c_key) or '+inf', '-inf', 0) end
  end
  local items, next_at = take_page()
  return { items, next_at or false }
end

local function any_timed_job()
  for _, t in ipairs(types) do
    for _, s in ipairs(TIMED_STATES) do
      if redis.call('ZCARD', index_key(s, t)) > 0 then return true end
    end
  end
  return false
end

local items = {}
if phase == 'p' then
  for _, t in ipairs(types) do collect_pending(t) end
  local pending_items, next_at = take_page()
  if next_at then return { pending_items, 'p:' .. next_at } end
  items = pending_items
  if #items == limit then return { items, any_timed_job() and 't' or false } end
  -- The rest of the page comes from the merged states, from their start.
  limit = limit - #items
  candidates, horizon, c_key, c_seq = {}, nil, nil, nil
end
for _, t in ipairs(types) do
  for _, s in ipairs(TIMED_STATES) do collect(index_key(s, t), c_key and fmt(c_key) or '+inf', '-inf', 0) end
end
local timed_items, next_at = take_page()
for _, fields in ipairs(timed_items) do items[#items + 1] = fields end
return { items, next_at and ('t:' .. next_at) or false }

--[[
  list-jobs: one page of jobs in one state (optionally of one type), newest first,
  with a cursor that stays exact while jobs are added. Cost is O(sources x
  (log n + page)) where sources are the type indexes (x 10 priority bands for
  pending, whose index is ordered by run order rather than age).

  Order key: pending -> the order number (score minus its band); others -> score.
  Pending indexes are sharded (see includes/pending.lua): the walk goes shard by
  shard from the cursor down.
  Ties on the order key are broken by seq, descending.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     state
  ARGV[5]     job type ('' = every type)
  ARGV[6]     cursor '<orderKey>:<seq>' ('' = first page)
  ARGV[7]     page size

  Returns: { items, nextCursor|false } where items is a list of
  { seq, HGETALL fields... } arrays.
]]
--!include includes/keys.lua
--!include includes/scores.lua
--!include includes/pending.lua

local state, jtype, cursor, limit = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local c_key, c_seq = nil, nil
if cursor ~= '' then
  local k, s = string.match(cursor, '^([^:]+):(%d+)$')
  c_key, c_seq = tonumber(k), tonumber(s)
end

local function before_cursor(order_key, seq)
  if c_key == nil then return true end
  return order_key < c_key or (order_key == c_key and tonumber(seq) < c_seq)
end

local candidates = {}
-- Reads up to limit+1 entries of one index range that sort after the cursor.
local function collect(key, hi, lo, offset_of_key)
  local want, skip, taken = limit + 1, 0, 0
  while taken < want do
    local batch = redis.call('ZREVRANGEBYSCORE', key, hi, lo, 'WITHSCORES', 'LIMIT', skip, want)
    for i = 1, #batch, 2 do
      local order_key = tonumber(batch[i + 1]) - offset_of_key
      if before_cursor(order_key, batch[i]) then
        candidates[#candidates + 1] = { batch[i], order_key }
        taken = taken + 1
      end
    end
    if #batch < want * 2 then break end
    skip = skip + want
  end
end

local types = jtype ~= '' and { jtype } or redis.call('SMEMBERS', TYPES_KEY)
for _, t in ipairs(types) do
  local key = index_key(state, t)
  if state == 'pending' then
    for band = 0, 9 do
      local base = band * BAND
      local taken = 0
      pending_walk_down(t, c_key and base + c_key or base + BAND - 1, base, function(seq, score)
        if before_cursor(score - base, seq) then
          candidates[#candidates + 1] = { seq, score - base }
          taken = taken + 1
        end
        return taken <= limit
      end)
    end
  else
    collect(key, c_key and fmt(c_key) or '+inf', '-inf', 0)
  end
end

table.sort(candidates, function(a, b)
  if a[2] ~= b[2] then return a[2] > b[2] end
  return tonumber(a[1]) > tonumber(b[1])
end)

local items = {}
local last = nil
for i = 1, math.min(limit, #candidates) do
  local seq = candidates[i][1]
  local fields = redis.call('HGETALL', job_key(seq))
  table.insert(fields, 1, seq)
  items[#items + 1] = fields
  last = candidates[i]
end
local next_cursor = false
if #candidates > limit and last then next_cursor = fmt(last[2]) .. ':' .. last[1] end
return { items, next_cursor }

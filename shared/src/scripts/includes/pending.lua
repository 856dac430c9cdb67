--[[
  The pending index of one job type, sharded for memory: a small sorted set per
  run of 128 consecutive scores, plus an index of the non-empty shards.

    pending:<type>            sorted set of shard numbers (score = shard number)
    pending:<type>:<shard>    sorted set seq -> pending score (see scores.lua)
    pending-count             hash type -> number of pending jobs (O(1) counts)

  A shard holds at most 128 jobs, so Redis keeps it as a compact listpack (about
  15 bytes a job instead of about 105 in one big skiplist) while every operation
  stays O(log n): find the shard through the index, then work inside at most 128
  entries. Priority bands are 2^42 scores wide, so a shard never spans two bands.

  A job's pending score is pending_score(priority, order): order is its seq for a
  fresh or released job, else the field `po`, so removal can find its shard.

  Jobs with a group key (fair queuing, see groups.lua) are indexed the same way
  under the index name `<type>~` (for listing, counts and gauges) and take their
  turn through their group's lane; `index` arguments below name which index, and
  default to the type itself. Counts are per type whatever the index.
  Requires keys, scores; flushed by transitions.flush_changes.
]]
local SHARD_WIDTH = 128

local function shard_of(score) return math.floor(score / SHARD_WIDTH) end

local PENDING_ADDS, PENDING_COUNT_DELTA

local function count_pending(jtype, delta)
  PENDING_COUNT_DELTA[jtype] = (PENDING_COUNT_DELTA[jtype] or 0) + delta
end

-- Deferred like every index write; flush_pending writes each shard once.
local last_shard, last_index, last_key
on_call(function()
  PENDING_ADDS, PENDING_COUNT_DELTA = {}, {}
  last_shard, last_index, last_key = nil, nil, nil
end)
local function pending_add(seq, jtype, score, index)
  index = index or jtype
  local shard = shard_of(score)
  -- Consecutive jobs mostly share a shard: reuse its key rather than build it again.
  if shard ~= last_shard or index ~= last_index then
    last_shard, last_index, last_key = shard, index, pending_shard_key(index, shard)
  end
  local key = last_key
  local entry = PENDING_ADDS[key]
  if not entry then
    entry = { index = index, shard = shard, args = {} }
    PENDING_ADDS[key] = entry
  end
  entry.args[#entry.args + 1] = score
  entry.args[#entry.args + 1] = seq
  count_pending(jtype, 1)
end

local function flush_pending()
  for key, entry in pairs(PENDING_ADDS) do
    -- Added mostly in ascending score order, sent descending: a listpack sorted set
    -- inserts each entry after a scan from its head, so the best-first order makes
    -- every insert a scan of one entry instead of the whole shard.
    local args, n = {}, #entry.args
    for i = 1, n, 2 do
      args[i], args[i + 1] = entry.args[n - i], entry.args[n - i + 1]
    end
    for i = 1, n, 4000 do
      redis.call('ZADD', key, unpack(args, i, math.min(i + 3999, n)))
    end
    redis.call('ZADD', index_key('pending', entry.index), entry.shard, entry.shard)
  end
  PENDING_ADDS = {}
  for jtype, delta in pairs(PENDING_COUNT_DELTA) do
    if delta ~= 0 then redis.call('HINCRBY', PENDING_COUNT_KEY, jtype, delta) end
  end
  PENDING_COUNT_DELTA = {}
end

local function drop_shard_if_empty(index, shard)
  if redis.call('EXISTS', pending_shard_key(index, shard)) == 0 then
    redis.call('ZREM', index_key('pending', index), shard)
  end
end

-- Removes one pending job from its index (not from a group's lane); `order` is its
-- `po` field or its seq. Returns whether it was there.
local function pending_remove(seq, jtype, priority, order, index)
  index = index or jtype
  local shard = shard_of(pending_score(priority, order))
  if redis.call('ZREM', pending_shard_key(index, shard), seq) == 1 then
    count_pending(jtype, -1)
    drop_shard_if_empty(index, shard)
    return true
  end
  return false
end

local function pending_count(jtype)
  return tonumber(redis.call('HGET', PENDING_COUNT_KEY, jtype)) or 0
end

-- Up to n entries {seq, score, shard} of one type, best first, without removing them.
local function pending_peek(jtype, n)
  local found = {}
  local index = index_key('pending', jtype)
  local skip = 0
  while #found < n do
    local shards = redis.call('ZRANGE', index, skip, skip + 7)
    for _, shard in ipairs(shards) do
      local entries = redis.call('ZRANGE', pending_shard_key(jtype, shard), 0, n - #found - 1, 'WITHSCORES')
      for i = 1, #entries, 2 do found[#found + 1] = { entries[i], tonumber(entries[i + 1]), shard } end
      if #found >= n then return found end
    end
    if #shards < 8 then break end
    skip = skip + 8
  end
  return found
end

-- Pops up to n jobs of one type, best score first. Read then cut by rank rather than
-- ZPOPMIN: its reply formats every score with a printf, and deleting entries one by
-- one from a listpack's head moves the rest of it each time; the range is one cut.
local function pending_pop_type(jtype, n)
  local popped = {}
  local index = index_key('pending', jtype)
  while #popped < n do
    local shard = redis.call('ZRANGE', index, 0, 0)[1]
    if not shard then break end
    local key, wanted = pending_shard_key(jtype, shard), n - #popped
    local seqs = redis.call('ZRANGE', key, 0, wanted - 1)
    redis.call('ZREMRANGEBYRANK', key, 0, wanted - 1)
    for i = 1, #seqs do popped[#popped + 1] = seqs[i] end
    -- Fewer than asked: the shard is gone (Redis deletes an empty key).
    if #seqs < wanted then
      redis.call('ZREM', index, shard)
    else
      drop_shard_if_empty(jtype, shard)
    end
  end
  count_pending(jtype, -#popped)
  return popped
end

-- Removes specific peeked entries {seq, score, shard} of one type's index.
local function pending_take_peeked(jtype, entries, index)
  index = index or jtype
  local by_shard = {}
  for _, entry in ipairs(entries) do
    local members = by_shard[entry[3]]
    if not members then
      members = {}
      by_shard[entry[3]] = members
    end
    members[#members + 1] = entry[1]
  end
  -- Counted by what was removed: an entry found elsewhere (a group's lane) must not
  -- move the count if its job had already left this index.
  local removed = 0
  for shard, members in pairs(by_shard) do
    removed = removed + redis.call('ZREM', pending_shard_key(index, shard), unpack(members))
    drop_shard_if_empty(index, shard)
  end
  count_pending(jtype, -removed)
end

-- The first job of each priority band of one index: its longest-waiting job there.
local function pending_band_heads(index_name)
  local heads = {}
  local index = index_key('pending', index_name)
  for band = 0, 9 do
    local low = band * BAND / SHARD_WIDTH
    local shard = redis.call('ZRANGEBYSCORE', index, fmt(low), '(' .. fmt(low + BAND / SHARD_WIDTH), 'LIMIT', 0, 1)[1]
    if shard then heads[#heads + 1] = redis.call('ZRANGE', pending_shard_key(index_name, shard), 0, 0)[1] end
  end
  return heads
end

--[[
  Newest-first walk for listing: calls visit(seq, score) for entries with
  score <= hi and score >= lo, from the highest score down, shard by shard, until
  visit returns false or the range is exhausted.
]]
local function pending_walk_down(index_name, hi, lo, visit)
  local index = index_key('pending', index_name)
  local hi_shard, lo_shard = shard_of(hi), shard_of(lo)
  local skip = 0
  while true do
    local shards = redis.call('ZREVRANGEBYSCORE', index, fmt(hi_shard), fmt(lo_shard), 'LIMIT', skip, 16)
    for _, shard in ipairs(shards) do
      local entries = redis.call('ZREVRANGEBYSCORE', pending_shard_key(index_name, shard), fmt(hi), fmt(lo), 'WITHSCORES')
      for i = 1, #entries, 2 do
        if visit(entries[i], tonumber(entries[i + 1])) == false then return end
      end
    end
    if #shards < 16 then return end
    skip = skip + 16
  end
end

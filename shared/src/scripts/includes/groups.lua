--[[
  Fair queuing per group (tenant) within a job type. A job submitted with a group
  key (field `g`) is pending in two places:
    pending:<type>~          the sharded index of every grouped job of the type, by
                             pending score (listing, counts, gauges; see pending.lua)
    lane:<type>:<group>      its group's own queue, by the same score (priority
                             first, FIFO within a priority)
  and its group takes turns in
    ring:<type>              groups with pending jobs that may start -> virtual time
    parked:<type>            groups held back by a limit -> when to look again
                             (PARKED_ON_SLOT: until one of its running jobs ends)
    running:<type>           group -> its jobs processing now (global concurrency)
    weights:<type>           group -> weight (absent: 1)
  Ungrouped jobs of a type stay in pending:<type> and take part as the group ''.

  Take serves the groups with the lowest virtual time, one turn each (a weight-w
  group takes up to floor(w) jobs a turn); a turn advances a group's time by
  jobs / weight. A group that joins (or comes back from parked) starts at the
  ring's lowest time, so it neither waits behind everyone nor jumps with credit
  saved while it was idle. Priority orders jobs inside a group, not across groups.
  A limited group leaves the ring, so takes never look at it again until it may
  run: cost is O(log groups) per job taken, however many groups are limited.
  Functions live in the table `fair` (Lua allows a script 200 locals).
  Requires keys, pending, transitions, limits.
]]
local fair = { PARKED_ON_SLOT = 1e15 }
on_call(function()
  fair.joining = {}
end)

function fair.note_joining(jtype, group)
  local of_type = fair.joining[jtype]
  if not of_type then
    of_type = {}
    fair.joining[jtype] = of_type
  end
  of_type[group] = true
end

function fair.ring_floor(ring)
  return tonumber(redis.call('ZRANGE', ring, 0, 0, 'WITHSCORES')[2]) or 0
end

-- Groups that received jobs enter the ring, unless a limit holds them (they come back from parked).
function fair.flush_joining()
  for jtype, groups in pairs(fair.joining) do
    local ring, parked = FLOW_KEYS.ring(jtype), FLOW_KEYS.parked(jtype)
    local has_parked = redis.call('EXISTS', parked) == 1
    local floor = fair.ring_floor(ring)
    local args = {}
    for group in pairs(groups) do
      if not has_parked or not redis.call('ZSCORE', parked, group) then
        args[#args + 1] = floor
        args[#args + 1] = group
      end
    end
    if #args > 0 then redis.call('ZADD', ring, 'NX', unpack(args)) end
  end
  fair.joining = {}
end
before_flush[#before_flush + 1] = fair.flush_joining

function fair.enqueue(seq, jtype, group, score)
  pending_add(seq, jtype, score, FLOW_KEYS.grouped_index(jtype))
  defer_add(FLOW_KEYS.lane(jtype, group), score, seq)
  fair.note_joining(jtype, group)
end

-- Removes a pending grouped job (cancel, remove); its group leaves the ring at its next turn if empty.
function fair.remove(seq, jtype, group, priority, order)
  pending_remove(seq, jtype, priority, order, FLOW_KEYS.grouped_index(jtype))
  redis.call('ZREM', FLOW_KEYS.lane(jtype, group), seq)
end

function fair.park(jtype, group, until_at)
  redis.call('ZREM', FLOW_KEYS.ring(jtype), group)
  redis.call('ZADD', FLOW_KEYS.parked(jtype), until_at, group)
end

-- Parked groups go back to the ring, at its lowest time.
function fair.unpark(jtype, groups)
  if #groups == 0 then return end
  local ring = FLOW_KEYS.ring(jtype)
  local floor, args = fair.ring_floor(ring), {}
  for _, group in ipairs(groups) do
    args[#args + 1] = floor
    args[#args + 1] = group
  end
  redis.call('ZREM', FLOW_KEYS.parked(jtype), unpack(groups))
  redis.call('ZADD', ring, 'NX', unpack(args))
end

-- Parked groups whose wait is over take their turn again.
function fair.unpark_due(jtype, now)
  local parked = FLOW_KEYS.parked(jtype)
  fair.unpark(jtype, redis.call('ZRANGEBYSCORE', parked, '-inf', now, 'LIMIT', 0, 1000))
  local next_wait = redis.call('ZRANGE', parked, 0, 0, 'WITHSCORES')[2]
  if next_wait and tonumber(next_wait) < fair.PARKED_ON_SLOT then flow.note_wait(tonumber(next_wait)) end
end

-- Whether a type's jobs take their turns by group (it has grouped jobs, or parked groups).
function fair.is_fair(jtype)
  return redis.call('EXISTS', FLOW_KEYS.ring(jtype), FLOW_KEYS.parked(jtype)) > 0
end

-- Jobs a group takes per turn, and its weight.
function fair.turn(jtype, group, weighted)
  if not weighted then return 1, 1 end
  local weight = tonumber(redis.call('HGET', FLOW_KEYS.weights(jtype), group)) or 1
  return math.max(math.floor(weight), 1), weight
end

--[[
  Pops up to n jobs of a fair type in turn order: a list of { seq, group }.
  Groups whose lane is empty leave the ring; groups a limit holds back are parked.
]]
function fair.pop(jtype, n, now)
  local ring = FLOW_KEYS.ring(jtype)
  if redis.call('EXISTS', index_key('pending', jtype)) == 1 then
    redis.call('ZADD', ring, 'NX', fair.ring_floor(ring), '')
  end
  if redis.call('EXISTS', FLOW_KEYS.parked(jtype)) == 1 then fair.unpark_due(jtype, now) end
  local weighted = redis.call('EXISTS', FLOW_KEYS.weights(jtype)) == 1
  local popped = {}
  while #popped < n do
    local heads = redis.call('ZRANGE', ring, 0, math.min(n - #popped, 64) - 1, 'WITHSCORES')
    if #heads == 0 then break end
    local rescored, leaving, from_index = {}, {}, {}
    for i = 1, #heads, 2 do
      local left = n - #popped
      if left <= 0 then break end
      local group, time = heads[i], tonumber(heads[i + 1])
      local turn, weight = fair.turn(jtype, group, weighted)
      local allowed, wait = flow.UNLIMITED, nil
      if group ~= '' then allowed, wait = flow.group_capacity(jtype, group, now) end
      if allowed == 0 then
        fair.park(jtype, group, wait or fair.PARKED_ON_SLOT)
      else
        local want = math.min(turn, left, allowed)
        local got = 0
        if group == '' then
          for _, seq in ipairs(pending_pop_type(jtype, want)) do
            popped[#popped + 1] = { seq, '' }
            got = got + 1
          end
        else
          local entries = redis.call('ZPOPMIN', FLOW_KEYS.lane(jtype, group), want)
          for j = 1, #entries, 2 do
            local score = tonumber(entries[j + 1])
            popped[#popped + 1] = { entries[j], group }
            from_index[#from_index + 1] = { entries[j], score, shard_of(score) }
            got = got + 1
          end
          flow.group_started(jtype, group, got, now)
        end
        if got < want then
          leaving[#leaving + 1] = group
        else
          rescored[#rescored + 1] = time + got / weight
          rescored[#rescored + 1] = group
        end
      end
    end
    if #from_index > 0 then pending_take_peeked(jtype, from_index, FLOW_KEYS.grouped_index(jtype)) end
    if #leaving > 0 then redis.call('ZREM', ring, unpack(leaving)) end
    if #rescored > 0 then redis.call('ZADD', ring, 'XX', unpack(rescored)) end
  end
  return popped
end

-- The best pending score a fair type offers next (its next group's first job), or nil.
function fair.head_score(jtype)
  local group = redis.call('ZRANGE', FLOW_KEYS.ring(jtype), 0, 0)[1]
  if not group then return nil end
  if group == '' then
    local shard = redis.call('ZRANGE', index_key('pending', jtype), 0, 0)[1]
    if not shard then return nil end
    return tonumber(redis.call('ZRANGE', pending_shard_key(jtype, shard), 0, 0, 'WITHSCORES')[2])
  end
  return tonumber(redis.call('ZRANGE', FLOW_KEYS.lane(jtype, group), 0, 0, 'WITHSCORES')[2])
end

-- A job of a group started: it counts against the group's concurrency until it ends.
function fair.leased(jtype, group)
  redis.call('HINCRBY', FLOW_KEYS.running(jtype), group, 1)
end

-- A group parked for a free slot takes its turn again.
function fair.slot_freed(jtype, group)
  local parked = FLOW_KEYS.parked(jtype)
  if tonumber(redis.call('ZSCORE', parked, group)) == fair.PARKED_ON_SLOT then
    redis.call('ZREM', parked, group)
    local ring = FLOW_KEYS.ring(jtype)
    redis.call('ZADD', ring, 'NX', fair.ring_floor(ring), group)
  end
end

--[[
  Every way out of processing (settled, lease expired, released, canceled) comes
  through here: the processing index entry goes, the group's running count drops,
  and a group parked for a free slot takes its turn again.
]]
function fair.leave_processing(seq, jtype, group)
  defer_remove(index_key('processing', jtype), seq)
  if group and group ~= '' then
    local running = FLOW_KEYS.running(jtype)
    if redis.call('HINCRBY', running, group, -1) <= 0 then redis.call('HDEL', running, group) end
    fair.slot_freed(jtype, group)
  end
  if flow.slot_limited(jtype) then wake_type(jtype) end
end

--[[
  Housekeeping (maintain-queue.lua), bounded per call:
  - a group parked for a slot while none of its jobs runs (its count drifted, e.g.
    a job deleted while processing) takes its turn again, so it can never be stuck;
  - GCRA times older than the longest window are forgotten: they no longer limit
    anything, and groups come and go (HSCAN from a cursor kept in the hash itself).
]]
function fair.maintain(types, now, budget)
  for _, jtype in ipairs(types) do
    local parked = FLOW_KEYS.parked(jtype)
    local waiting = redis.call('ZRANGEBYSCORE', parked, fair.PARKED_ON_SLOT, '+inf', 'LIMIT', 0, budget)
    for _, group in ipairs(waiting) do
      if not redis.call('HGET', FLOW_KEYS.running(jtype), group) then fair.slot_freed(jtype, group) end
    end
  end
  if redis.call('EXISTS', FLOW_KEYS.gcra) == 0 then return end
  local cursor = redis.call('HGET', FLOW_KEYS.gcra, '~cursor') or '0'
  local reply = redis.call('HSCAN', FLOW_KEYS.gcra, cursor, 'COUNT', budget)
  local stale = {}
  for i = 1, #reply[2], 2 do
    local scope, at = reply[2][i], tonumber(reply[2][i + 1])
    if scope ~= '~cursor' and at and at < now - 86400000 then stale[#stale + 1] = scope end
  end
  if #stale > 0 then redis.call('HDEL', FLOW_KEYS.gcra, unpack(stale)) end
  redis.call('HSET', FLOW_KEYS.gcra, '~cursor', reply[1])
end

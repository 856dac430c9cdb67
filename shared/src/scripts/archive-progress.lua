--[[
  archive-progress: turns the archiver's acknowledged position in the events stream
  into what Redis may forget (see includes/archive-hold.lua). The archiver calls it
  after each batch it acknowledged, and now and then while idle.

  The oldest entry the group has not acknowledged is its first pending entry, else
  the first entry after its last delivered one. That entry's `t` (the time its
  script ran) becomes w: every job that finished before w finished in an earlier
  script, whose entries are acknowledged, so it is archived. Nothing unacknowledged:
  w is now. An entry written before the hold existed has no `t`: w is 0 (hold all).
  This rests on Redis's clock not stepping back; a step back by d can let retention
  delete jobs that finished within d before the step and were not archived yet.

  Then it trims the stream towards events_max_len, removing only acknowledged
  entries (at most 1,000 a call; the archiver calls it after every batch).

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     consumer group name
  ARGV[5]     cap: the stream's length cap while archived (>= events_max_len)
  ARGV[6]     max: jobs per index retention holds at most (>= 1)
  ARGV[7]     TTL of the hold in ms (>= 1000)
  Errors (before any write): `rq-invalid-argument <what>`; `rq-no-group` when the
  stream or the group does not exist (the archiver creates it and calls again).

  Returns: { w, trimmed entries }
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua

local group, cap, max, ttl = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function whole(n, min) return n and n % 1 == 0 and n >= min end
if group == nil or group == '' then return redis.error_reply('ERR rq-invalid-argument group') end
if not whole(cap, SETTINGS.events_max_len) then return redis.error_reply('ERR rq-invalid-argument cap') end
if not whole(max, 1) then return redis.error_reply('ERR rq-invalid-argument max') end
if not whole(ttl, 1000) then return redis.error_reply('ERR rq-invalid-argument ttl') end
if redis.call('EXISTS', EVENTS_KEY) == 0 then return redis.error_reply('ERR rq-no-group') end

local last_delivered
for _, info in ipairs(redis.call('XINFO', 'GROUPS', EVENTS_KEY)) do
  local fields = {}
  for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
  if fields['name'] == group then last_delivered = fields['last-delivered-id'] end
end
if not last_delivered then return redis.error_reply('ERR rq-no-group') end

-- The oldest entry still in the stream that the group has not acknowledged.
local oldest
local pending = redis.call('XPENDING', EVENTS_KEY, group)
if pending[1] > 0 then
  oldest = redis.call('XRANGE', EVENTS_KEY, pending[2], '+', 'COUNT', 1)[1]
else
  oldest = redis.call('XRANGE', EVENTS_KEY, '(' .. last_delivered, '+', 'COUNT', 1)[1]
end

local w = NOW
if oldest then
  w = 0
  local fields = oldest[2]
  for i = 1, #fields, 2 do
    if fields[i] == 't' then w = tonumber(fields[i + 1]) or 0 end
  end
end
redis.call('HSET', P .. 'archive-hold', 'w', w, 'cap', cap, 'max', max)
redis.call('PEXPIRE', P .. 'archive-hold', ttl)

local trimmed = 0
local excess = redis.call('XLEN', EVENTS_KEY) - SETTINGS.events_max_len
if excess > 0 then
  local upper = oldest and ('(' .. oldest[1]) or '+'
  trimmed = #redis.call('XRANGE', EVENTS_KEY, '-', upper, 'COUNT', math.min(excess, 1000))
  if trimmed > 0 then
    redis.call('XTRIM', EVENTS_KEY, 'MAXLEN', '=', redis.call('XLEN', EVENTS_KEY) - trimmed)
  end
end
return { w, trimmed }

--[[
  schedule-write: creates, replaces or deletes one schedule, keeping its hash, the
  queue's id index and its due index in step. The definition is validated in
  TypeScript (schemas/schedule-input.ts, croner); here only its shape is checked.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     'create' | 'update' | 'delete'
  ARGV[5]     schedule id
  create and update:
  ARGV[6]     definition (a JSON object)
  ARGV[7]     next due time in ms ('' = none: the schedule is finished)
  ARGV[8]     '1' paused, '' not
  ARGV[9]     anchor in ms (when its interval counts from)
  ARGV[10]    create: epoch (8 hex digits, new for every schedule created under the id);
              update: the version the caller read (compare-and-set)

  Hash fields: d definition, a anchor, c created, u updated (ms), v version, e epoch,
  p paused, n next due, done finished, runs / trig / mis / ovl counters, err + erra
  last error and when.

  Returns: { 1, version }; { -1 } no such schedule; { -9 } create: the id exists;
  { -10, version } update: the schedule changed since the caller read it.
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua

local function invalid(what) return redis.error_reply('ERR rq-invalid-argument ' .. what) end

local op, id = ARGV[4], ARGV[5]
if op ~= 'create' and op ~= 'update' and op ~= 'delete' then return invalid('op') end
if #id < 1 or #id > 64 or not string.match(id, '^[A-Za-z0-9][A-Za-z0-9_.%-]*$') then return invalid('id') end
local sk = SCHEDULE_KEYS.of(id)

if op == 'delete' then
  if redis.call('EXISTS', sk) == 0 then return { -1 } end
  redis.call('DEL', sk, SCHEDULE_KEYS.runs(id))
  redis.call('ZREM', SCHEDULE_KEYS.ids, id)
  redis.call('ZREM', SCHEDULE_KEYS.due, id)
  return { 1, 0 }
end

local definition, next_due, paused, anchor, last = ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10]
local ok, decoded = pcall(cjson.decode, definition)
if not ok or type(decoded) ~= 'table' then return invalid('definition') end
if next_due ~= '' and not string.match(next_due, '^%d+$') then return invalid('next') end
if paused ~= '' and paused ~= '1' then return invalid('paused') end
if not anchor or anchor < 0 or anchor % 1 ~= 0 then return invalid('anchor') end

local version
if op == 'create' then
  if not string.match(last, '^%x%x%x%x%x%x%x%x$') then return invalid('epoch') end
  if redis.call('EXISTS', sk) == 1 then return { -9 } end
  version = 1
  redis.call('HSET', sk, 'd', definition, 'a', anchor, 'c', NOW, 'u', NOW, 'v', version, 'e', last,
    'runs', 0, 'trig', 0, 'mis', 0, 'ovl', 0)
  redis.call('ZADD', SCHEDULE_KEYS.ids, 0, id)
else
  if not string.match(last, '^%d+$') then return invalid('version') end
  local current = redis.call('HGET', sk, 'v')
  if not current then return { -1 } end
  if current ~= last then return { -10, tonumber(current) } end
  version = tonumber(current) + 1
  redis.call('HSET', sk, 'd', definition, 'a', anchor, 'u', NOW, 'v', version)
  redis.call('HDEL', sk, 'err', 'erra')
end

if paused == '1' then redis.call('HSET', sk, 'p', '1') else redis.call('HDEL', sk, 'p') end
if next_due == '' then
  redis.call('HSET', sk, 'done', '1')
  redis.call('HDEL', sk, 'n')
else
  redis.call('HSET', sk, 'n', next_due)
  redis.call('HDEL', sk, 'done')
end
if next_due ~= '' and paused ~= '1' then
  redis.call('ZADD', SCHEDULE_KEYS.due, next_due, id)
else
  redis.call('ZREM', SCHEDULE_KEYS.due, id)
end
return { 1, version }

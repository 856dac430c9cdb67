--[[
  rollup-stats: keeps a queue's history beyond the hour that per-second stats live.
  Samples the backlog and running jobs into the current minute (highest value
  wins), then seals every finished minute not sealed yet (at most the last 60,
  whose per-second data still exist) into one point, and every finished hour into
  one point. Sealing reads only what scripts already wrote (tp:/lat: keys), so the
  hot path pays nothing; it is idempotent, so every control-plane replica may run it.

  A point is the text "c,f,w50,w95,w99,r50,r95,r99,b,p": completed, dead-lettered,
  wait and run percentiles in ms (upper bounds of log buckets), highest backlog and
  processing sampled ('' when unknown). Minutes live 25 h, hours 31 days.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     backlog now (whole number)
  ARGV[5]     processing now (whole number)

  Returns: { minutes sealed, hours sealed }.
]]
--!include includes/keys.lua
--!include includes/now.lua

local function whole(text)
  local n = tonumber(text)
  if not n or n < 0 or n % 1 ~= 0 then return nil end
  return n
end
local backlog, processing = whole(ARGV[4]), whole(ARGV[5])
if not backlog or not processing then return redis.error_reply('ERR rq-invalid-argument gauges') end

local MINUTE_TTL, SAMPLE_TTL, HOUR_TTL, ACC_TTL = 90000, 7200, 2678400, 10800
local minute = math.floor(NOW / 60000)

-- Sample the gauges into this minute: the highest value seen in it.
local sample_key = gauge_sample_key(minute)
local seen = redis.call('HMGET', sample_key, 'b', 'p')
if not seen[1] or tonumber(seen[1]) < backlog then redis.call('HSET', sample_key, 'b', backlog) end
if not seen[2] or tonumber(seen[2]) < processing then redis.call('HSET', sample_key, 'p', processing) end
redis.call('EXPIRE', sample_key, SAMPLE_TTL)

-- Upper-bound percentiles of a bucket -> count table (bucket b holds ms <= 2^(b/4) - 1).
local function percentiles(histogram)
  local buckets, total = {}, 0
  for bucket, n in pairs(histogram) do
    buckets[#buckets + 1] = bucket
    total = total + n
  end
  if total == 0 then return '', '', '' end
  table.sort(buckets)
  local function at(p)
    local rank, cumulative = math.ceil(p * total), 0
    for _, bucket in ipairs(buckets) do
      cumulative = cumulative + histogram[bucket]
      if cumulative >= rank then return string.format('%.1f', 2 ^ (bucket / 4) - 1) end
    end
    return ''
  end
  return at(0.5), at(0.95), at(0.99)
end

local function point(c, f, wait, run, b, p)
  local w50, w95, w99 = percentiles(wait)
  local r50, r95, r99 = percentiles(run)
  return table.concat({ c, f, w50, w95, w99, r50, r95, r99, b or '', p or '' }, ',')
end

local function hash_pairs(key)
  local flat = redis.call('HGETALL', key)
  local i = -1
  return function()
    i = i + 2
    if flat[i] then return flat[i], flat[i + 1] end
  end
end

local function seal_minute(m)
  local c, f, wait, run = 0, 0, {}, {}
  for field, n in hash_pairs(throughput_key(m)) do
    if string.sub(field, 1, 1) == 'c' then c = c + tonumber(n) else f = f + tonumber(n) end
  end
  for field, n in hash_pairs(latency_key(m)) do
    local target = string.sub(field, 1, 1) == 'w' and wait or run
    local bucket = tonumber(string.sub(field, 2))
    target[bucket] = (target[bucket] or 0) + tonumber(n)
  end
  local gauges = redis.call('HMGET', gauge_sample_key(m), 'b', 'p')
  if c == 0 and f == 0 and next(wait) == nil and next(run) == nil and not gauges[1] then return end

  local hour = math.floor(m / 60)
  local minutes_key = minute_rollup_key(hour)
  redis.call('HSET', minutes_key, m, point(c, f, wait, run, gauges[1], gauges[2]))
  redis.call('EXPIRE', minutes_key, MINUTE_TTL)

  local acc = hour_accumulator_key(hour)
  if c > 0 then redis.call('HINCRBY', acc, 'c', c) end
  if f > 0 then redis.call('HINCRBY', acc, 'f', f) end
  for bucket, n in pairs(wait) do redis.call('HINCRBY', acc, 'w' .. bucket, n) end
  for bucket, n in pairs(run) do redis.call('HINCRBY', acc, 'r' .. bucket, n) end
  local highest = redis.call('HMGET', acc, 'b', 'p')
  if gauges[1] and (not highest[1] or tonumber(highest[1]) < tonumber(gauges[1])) then
    redis.call('HSET', acc, 'b', gauges[1])
  end
  if gauges[2] and (not highest[2] or tonumber(highest[2]) < tonumber(gauges[2])) then
    redis.call('HSET', acc, 'p', gauges[2])
  end
  redis.call('EXPIRE', acc, ACC_TTL)
end

local function seal_hour(h)
  local acc = hour_accumulator_key(h)
  if redis.call('EXISTS', acc) == 0 then return end
  local c, f, b, p, wait, run = 0, 0, nil, nil, {}, {}
  for field, n in hash_pairs(acc) do
    local kind = string.sub(field, 1, 1)
    if field == 'c' then c = tonumber(n)
    elseif field == 'f' then f = tonumber(n)
    elseif field == 'b' then b = n
    elseif field == 'p' then p = n
    elseif kind == 'w' then wait[tonumber(string.sub(field, 2))] = tonumber(n)
    elseif kind == 'r' then run[tonumber(string.sub(field, 2))] = tonumber(n) end
  end
  local hours_key = hour_rollup_key(math.floor(h / 24))
  redis.call('HSET', hours_key, h, point(c, f, wait, run, b, p))
  redis.call('EXPIRE', hours_key, HOUR_TTL)
  redis.call('DEL', acc)
end

local sealed = redis.call('HMGET', ROLLUP_KEY, 'm', 'h')
local minutes_sealed, hours_sealed = 0, 0
local first_minute = math.max((tonumber(sealed[1]) or 0) + 1, minute - 59)
for m = first_minute, minute - 1 do
  seal_minute(m)
  minutes_sealed = minutes_sealed + 1
end
if minutes_sealed > 0 then redis.call('HSET', ROLLUP_KEY, 'm', minute - 1) end

-- Every minute of the hours before this one is sealed now.
local hour = math.floor(minute / 60)
local first_hour = math.max((tonumber(sealed[2]) or 0) + 1, hour - 2)
for h = first_hour, hour - 1 do
  seal_hour(h)
  hours_sealed = hours_sealed + 1
end
if hours_sealed > 0 then redis.call('HSET', ROLLUP_KEY, 'h', hour - 1) end
return { minutes_sealed, hours_sealed }

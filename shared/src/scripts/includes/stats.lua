--[[
  Throughput and latency statistics, aggregated in Lua tables during one call and
  written once at its end (flush_stats), so a batch of 50 jobs costs a handful of
  HINCRBYs rather than hundreds. Per-minute keys expire after an hour: memory
  stays bounded however many jobs run.

  tp:<minute>   hash  c:<second> / f:<second> -> jobs completed / dead-lettered
  lat:<minute>  hash  w<bucket> / r<bucket>  -> wait / run time histogram
  stats         hash  lifetime counters
  hist          hash  lifetime histograms per job type, never expiring (what
                      Prometheus scrapes: monotonic, current to the call):
                      w<bucket>:<type> / r<bucket>:<type> -> count,
                      ws:<type> / rs:<type> -> sum of the durations in ms
  Latency buckets are quarter powers of two: bucket b holds ms <= 2^(b/4) - 1.
  The hist hash is bounded by the queue's types times the ~120 buckets up to days.
]]
local STAT_COUNTERS, STAT_TP, STAT_LAT, STAT_HIST = {}, {}, {}, {}
local LOG2 = math.log(2)

local function stat_count(name, n)
  STAT_COUNTERS[name] = (STAT_COUNTERS[name] or 0) + n
end

-- Scripts run at one instant, so one field per kind serves the whole call.
local TP_FIELDS = {}
local function stat_throughput(kind, now)
  local field = TP_FIELDS[kind]
  if not field then
    field = kind .. ':' .. math.floor(now / 1000)
    TP_FIELDS[kind] = field
  end
  STAT_TP[field] = (STAT_TP[field] or 0) + 1
end

local LAT_BUCKETS = { w = {}, r = {} }
local function stat_latency(kind, ms, jtype)
  if ms < 0 then ms = 0 end
  local counts = LAT_BUCKETS[kind]
  local bucket = math.ceil(4 * math.log(ms + 1) / LOG2)
  counts[bucket] = (counts[bucket] or 0) + 1
  local field = kind .. bucket .. ':' .. jtype
  STAT_HIST[field] = (STAT_HIST[field] or 0) + 1
  local sum = kind .. 's:' .. jtype
  STAT_HIST[sum] = (STAT_HIST[sum] or 0) + ms
end

local function flush_hash(key, increments)
  local touched = false
  for field, n in pairs(increments) do
    redis.call('HINCRBY', key, field, n)
    touched = true
  end
  return touched
end

local function flush_stats(now)
  local minute = math.floor(now / 60000)
  flush_hash(STATS_KEY, STAT_COUNTERS)
  local tp_key = throughput_key(minute)
  if flush_hash(tp_key, STAT_TP) then redis.call('EXPIRE', tp_key, 3600) end
  for kind, counts in pairs(LAT_BUCKETS) do
    for bucket, n in pairs(counts) do STAT_LAT[kind .. bucket] = n end
  end
  local lat_key = latency_key(minute)
  if flush_hash(lat_key, STAT_LAT) then redis.call('EXPIRE', lat_key, 3600) end
  flush_hash(HIST_KEY, STAT_HIST)
end

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
local STAT_COUNTERS, STAT_TP
local LOG2 = 0.69314718055994530942 -- math.log(2): the math library is not there at FUNCTION LOAD

local function stat_count(name, n)
  STAT_COUNTERS[name] = (STAT_COUNTERS[name] or 0) + n
end

-- Scripts run at one instant, so one field per kind serves the whole call.
local TP_FIELDS
local function stat_throughput(kind, now)
  local field = TP_FIELDS[kind]
  if not field then
    field = kind .. ':' .. math.floor(now / 1000)
    TP_FIELDS[kind] = field
  end
  STAT_TP[field] = (STAT_TP[field] or 0) + 1
end

-- Counted by number (kind, type, bucket) and named once per call at the flush: a
-- field name per job would cost two number-to-string conversions and three string
-- concatenations, a measurable share of the hot path.
local LAT_BUCKETS, HIST_BY_TYPE
on_call(function()
  STAT_COUNTERS, STAT_TP, TP_FIELDS = {}, {}, {}
  LAT_BUCKETS, HIST_BY_TYPE = { w = {}, r = {} }, { w = {}, r = {} }
end)
-- Most durations are a few ms: their buckets are remembered across calls (a pure
-- function of ms), sparing a logarithm per job.
local BUCKET_OF_MS = {}
local function stat_latency(kind, ms, jtype)
  if ms < 0 then ms = 0 end
  local bucket = BUCKET_OF_MS[ms]
  if not bucket then
    bucket = math.ceil(4 * math.log(ms + 1) / LOG2)
    if ms < 4096 and ms % 1 == 0 then BUCKET_OF_MS[ms] = bucket end
  end
  local counts = LAT_BUCKETS[kind]
  counts[bucket] = (counts[bucket] or 0) + 1
  local of_type = HIST_BY_TYPE[kind][jtype]
  if not of_type then
    of_type = { sum = 0, buckets = {} }
    HIST_BY_TYPE[kind][jtype] = of_type
  end
  of_type.sum = of_type.sum + ms
  of_type.buckets[bucket] = (of_type.buckets[bucket] or 0) + 1
end

-- HINCRBYs every field; true when one of them created its field (the key may be new).
local function flush_hash(key, increments)
  local created = false
  for field, n in pairs(increments) do
    if redis.call('HINCRBY', key, field, n) == n then created = true end
  end
  return created
end

-- The per-minute keys expire an hour after they were created: a key whose fields
-- all existed already was created, and given its TTL, by an earlier call.
local function flush_stats(now)
  local minute = math.floor(now / 60000)
  flush_hash(STATS_KEY, STAT_COUNTERS)
  local tp_key = throughput_key(minute)
  if flush_hash(tp_key, STAT_TP) then redis.call('EXPIRE', tp_key, 3600) end
  local lat, hist = {}, {}
  for kind, counts in pairs(LAT_BUCKETS) do
    for bucket, n in pairs(counts) do lat[kind .. bucket] = n end
    for jtype, of_type in pairs(HIST_BY_TYPE[kind]) do
      for bucket, n in pairs(of_type.buckets) do hist[kind .. bucket .. ':' .. jtype] = n end
      hist[kind .. 's:' .. jtype] = of_type.sum
    end
  end
  local lat_key = latency_key(minute)
  if flush_hash(lat_key, lat) then redis.call('EXPIRE', lat_key, 3600) end
  flush_hash(HIST_KEY, hist)
end

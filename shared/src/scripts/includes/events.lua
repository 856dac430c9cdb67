--[[
  State changes go to one capped stream per queue. Approximate trimming (~) keeps
  XADD O(1) amortized. While an archiver serves the queue, its position decides
  what may go (includes/archive-hold.lua).

  Entry fields: e <event> j <seqs> [more fields]. `j` is a comma-separated list:
  events without per-job details are batched, one entry per event per script call
  (queue_event + flush_events), so a batch of 50 jobs costs one XADD, not 50. A run
  of three or more consecutive seqs is written `<first>-<last>`: a bulk add's seqs
  are consecutive, and the stream is a share of Redis memory per job added.
]]
--!include includes/archive-hold.lua

-- An archived queue's entries carry their script's time `t`, which the archiver's
-- position turns into the retention hold's w (archive-progress.lua).
local function emit(event, seq, ...)
  local hold = read_archive_hold()
  if hold then
    redis.call('XADD', EVENTS_KEY, 'MAXLEN', '~', hold.cap, '*', 'e', event, 'j', seq, 't', NOW, ...)
  else
    redis.call('XADD', EVENTS_KEY, 'MAXLEN', '~', SETTINGS.events_max_len, '*', 'e', event, 'j', seq, ...)
  end
end

local QUEUED_EVENTS, QUEUED_EVENT_ORDER
on_call(function()
  QUEUED_EVENTS, QUEUED_EVENT_ORDER = {}, {}
end)
local function queue_event(event, seq)
  local seqs = QUEUED_EVENTS[event]
  if not seqs then
    seqs = {}
    QUEUED_EVENTS[event] = seqs
    QUEUED_EVENT_ORDER[#QUEUED_EVENT_ORDER + 1] = event
  end
  seqs[#seqs + 1] = seq
end

-- '1,2,3,4,7' -> '1-4,7'.
local function seq_runs(seqs)
  if #seqs < 3 then return table.concat(seqs, ',') end
  local parts, first, last = {}, tonumber(seqs[1]), tonumber(seqs[1])
  local function close()
    if last - first >= 2 then
      parts[#parts + 1] = first .. '-' .. last
    else
      for n = first, last do parts[#parts + 1] = n end
    end
  end
  for i = 2, #seqs do
    local n = tonumber(seqs[i])
    if n ~= last + 1 then
      close()
      first = n
    end
    last = n
  end
  close()
  return table.concat(parts, ',')
end

local function flush_events()
  for _, event in ipairs(QUEUED_EVENT_ORDER) do
    emit(event, seq_runs(QUEUED_EVENTS[event]))
  end
  QUEUED_EVENTS, QUEUED_EVENT_ORDER = {}, {}
end

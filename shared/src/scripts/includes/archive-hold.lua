--[[
  While an archiver serves the queue, Redis must not forget what it has not archived
  yet. The archiver records its acknowledged position in the hash `archive-hold`
  (archive-progress.lua), which expires when no archiver refreshes it for its TTL (an
  archive turned off for good stops holding):
    w    Redis time in ms: every job that finished before w is archived; the jobs
         that finished at w or later are kept by retention, whatever its limits
    cap  the events stream's length cap while archived: XADD trims only past it
         (archive-progress.lua trims acknowledged entries down to events_max_len)
    max  retention holds at most this many jobs per index; past it, it trims as
         usual and the archiver counts the jobs it found gone (bounded memory wins)
  Read at most once per script call, on first use.
]]
local ARCHIVE_HOLD_KEY
local archive_hold_read, archive_hold
on_call(function()
  ARCHIVE_HOLD_KEY = P .. 'archive-hold'
  archive_hold_read, archive_hold = false, nil
end)
local function read_archive_hold()
  if not archive_hold_read then
    archive_hold_read = true
    local hold = redis.call('HMGET', ARCHIVE_HOLD_KEY, 'w', 'cap', 'max')
    if hold[1] then
      archive_hold = { w = tonumber(hold[1]), cap = tonumber(hold[2]), max = tonumber(hold[3]) }
    end
  end
  return archive_hold
end

-- The highest score retention may delete from the index `key` (holding `size` jobs,
-- or nil to count them): `max_score` ('+inf' or a number) lowered below w.
local function retention_bound(key, max_score, size)
  local hold = read_archive_hold()
  if not hold then return max_score end
  if (size or redis.call('ZCARD', key)) > hold.max then return max_score end
  if max_score == '+inf' or hold.w <= max_score then return '(' .. string.format('%d', hold.w) end
  return max_score
end

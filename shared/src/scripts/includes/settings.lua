--[[
  Queue settings sent by the caller as one comma-separated string in ARGV[2], so
  defaults live only in TypeScript (shared/src/settings.ts) and every script reads
  them the same way. Order must match `encodeSettings`, followed by the call's
  deadline (see queue-context.ts). A malformed string is
  refused here, before the including script writes anything.
]]
local SETTINGS
local SETTING_NAMES = {
  'keep_completed', 'completed_age_ms', 'keep_failed', 'failed_age_ms',
  'keep_canceled', 'canceled_age_ms', 'events_max_len',
  'backoff_fixed', 'backoff_delay_ms', 'backoff_max_ms', 'backoff_jitter',
  'max_types', 'max_backoff_ms', 'max_queue_bytes', 'job_overhead_bytes', 'deadline_ms',
}
local function settings_invalid()
  local names = SETTING_NAMES
  local i = 1
  for value in string.gmatch(ARGV[2], '[^,]+') do
    if names[i] then SETTINGS[names[i]] = tonumber(value) end
    i = i + 1
  end
  if i - 1 ~= #names then return 'expected ' .. #names .. ' fields' end
  for _, name in ipairs(names) do
    local value = SETTINGS[name]
    if not value or value < 0 or value % 1 ~= 0 then return name end
  end
  if SETTINGS.events_max_len < 1 then return 'events_max_len' end
  return nil
end

-- A worker sends the same settings string on every call: the last one parsed is kept
-- (nothing writes to SETTINGS), sparing the hot path a parse per call. One entry
-- only, so a stream of distinct strings (each API call's deadline) cannot grow it.
local last_settings_text, last_settings
on_call(function()
  if ARGV[2] == last_settings_text then
    SETTINGS = last_settings
  else
    SETTINGS = {}
    local invalid = settings_invalid()
    if invalid then return redis.error_reply('ERR rq-invalid-argument settings: ' .. invalid) end
    last_settings_text, last_settings = ARGV[2], SETTINGS
  end
  -- A request's deadline in Redis's clock (0: none). ioredis still sends a command whose
  -- caller gave up on it (a frozen server, a reconnect's offline queue); the API has
  -- answered 503 by then, so the call must not write: refused here, before any write.
  if SETTINGS.deadline_ms > 0 then
    local t = redis.call('TIME')
    if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > SETTINGS.deadline_ms then
      return redis.error_reply('ERR rq-deadline-passed the request gave up on this call before Redis ran it')
    end
  end
end)

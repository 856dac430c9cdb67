--[[
  Queue settings sent by the caller as one comma-separated string in ARGV[2], so
  defaults live only in TypeScript (shared/src/settings.ts) and every script reads
  them the same way. Order must match `encodeSettings`.
]]
local SETTINGS = {}
do
  local names = {
    'keep_completed', 'completed_age_ms', 'keep_failed', 'failed_age_ms',
    'keep_canceled', 'canceled_age_ms', 'events_max_len',
    'backoff_fixed', 'backoff_delay_ms', 'backoff_max_ms', 'backoff_jitter',
    'max_types', 'max_backoff_ms',
  }
  local i = 1
  for value in string.gmatch(ARGV[2], '[^,]+') do
    SETTINGS[names[i]] = tonumber(value)
    i = i + 1
  end
end

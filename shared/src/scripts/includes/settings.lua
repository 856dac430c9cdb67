--[[
  Queue settings sent by the caller as one comma-separated string in ARGV[2], so
  defaults live only in TypeScript (shared/src/settings.ts) and every script reads
  them the same way. Order must match `encodeSettings`. A malformed string is
  refused here, before the including script writes anything.
]]
local SETTINGS = {}
local SETTINGS_INVALID = nil
do
  local names = {
    'keep_completed', 'completed_age_ms', 'keep_failed', 'failed_age_ms',
    'keep_canceled', 'canceled_age_ms', 'events_max_len',
    'backoff_fixed', 'backoff_delay_ms', 'backoff_max_ms', 'backoff_jitter',
    'max_types', 'max_backoff_ms',
  }
  local i = 1
  for value in string.gmatch(ARGV[2], '[^,]+') do
    if names[i] then SETTINGS[names[i]] = tonumber(value) end
    i = i + 1
  end
  if i - 1 ~= #names then
    SETTINGS_INVALID = 'expected ' .. #names .. ' fields'
  else
    for _, name in ipairs(names) do
      local value = SETTINGS[name]
      if not value or value < 0 or value % 1 ~= 0 then SETTINGS_INVALID = name end
    end
    if not SETTINGS_INVALID and SETTINGS.events_max_len < 1 then SETTINGS_INVALID = 'events_max_len' end
  end
end
if SETTINGS_INVALID then return redis.error_reply('ERR rq-invalid-argument settings: ' .. SETTINGS_INVALID) end

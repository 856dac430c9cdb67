--[[
  reset-circuit-breaker: an admin closes a job type's breaker at once and forgets
  its window; the thresholds stay. Consumers are woken, since the type's jobs
  waited as pending.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     job type

  Returns: 1 reset; -1 the type has no circuit breaker.
]]
--!include includes/keys.lua

local key = breaker_key(ARGV[4])
if redis.call('EXISTS', key) == 0 then return -1 end
redis.call('HDEL', key, 'st', 'oa', 'ra', 'pi', 'po', 'pt', 'b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9')
redis.call('ZADD', MARKER_KEY, 0, '0')
redis.call('ZADD', type_marker_key(ARGV[4]), 0, '0')
return 1

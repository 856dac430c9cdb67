--[[
  due-schedules: the queue's schedules that are due by Redis's clock, with what a
  firing round needs to plan them (fire-schedules.ts). Reads only.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2]     settings
  ARGV[3]     random (unused)
  ARGV[4]     at most this many schedules (1-1000)

  Returns: { now, id, fields, last_state, id, fields, last_state, ... }, the
  earliest due first; fields is the schedule's hash as a flat list; last_state is
  the state of its latest run's job: '' without runs, 'gone' when that job was
  deleted (trimmed by retention).
]]
--!include includes/keys.lua
--!include includes/settings.lua
--!include includes/now.lua

local limit = tonumber(ARGV[4])
if not limit or limit < 1 or limit > 1000 or limit % 1 ~= 0 then
  return redis.error_reply('ERR rq-invalid-argument limit')
end

local reply = { NOW }
for _, id in ipairs(redis.call('ZRANGEBYSCORE', SCHEDULE_KEYS.due, '-inf', NOW, 'LIMIT', 0, limit)) do
  local last = redis.call('ZREVRANGE', SCHEDULE_KEYS.runs(id), 0, 0)[1]
  local last_state = ''
  if last then
    -- Runs by hand are recorded as '<seq>:m'.
    last_state = redis.call('HGET', job_key(string.match(last, '^%d+')), 's') or 'gone'
  end
  reply[#reply + 1] = id
  reply[#reply + 1] = redis.call('HGETALL', SCHEDULE_KEYS.of(id))
  reply[#reply + 1] = last_state
end
return reply

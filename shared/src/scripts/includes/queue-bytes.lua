--[[
  The queue's accounted bytes, the figure its memory budget (setting max_queue_bytes,
  maxQueueBytes in TypeScript) is checked against: for every job hash kept, the
  settings' job_overhead_bytes plus the byte length of its payload field `d` as Redis
  holds it (a payload in the blob store counts as its reference). Field `bytes` of
  the queue's meta hash. Results, error history and logs are not counted: they have
  caps of their own, and counting them would cost the settle path a read per job.

  add-jobs adds its jobs with one HINCRBY per call, debounce adds the difference of
  a replaced payload, and delete_jobs (transitions.lua), which every deletion goes
  through, takes deleted jobs off with one HSTRLEN per job and one HINCRBY per call.
  A queue created before the counter existed starts from 0 with jobs already there:
  it undercounts those, and deleting them would go below 0, so it is clamped at 0.
  Requires keys, settings.
]]
local queue_bytes = {}

function queue_bytes.of_job(payload) return SETTINGS.job_overhead_bytes + #payload end

function queue_bytes.held() return tonumber(redis.call('HGET', META_KEY, QUEUE_BYTES_FIELD)) or 0 end

function queue_bytes.change(delta)
  if delta == 0 then return end
  if redis.call('HINCRBY', META_KEY, QUEUE_BYTES_FIELD, delta) < 0 then
    redis.call('HSET', META_KEY, QUEUE_BYTES_FIELD, 0)
  end
end

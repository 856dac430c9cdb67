--[[
  append-job-log: appends log lines to a job's bounded log, fenced by the lease
  token of the attempt that wrote them. The token, not the state, is checked, so
  lines written just as the attempt finished still land; a stale holder (its
  lease expired and the job was leased again) writes nothing. The log is deleted
  with the job.

  KEYS[1..6]  meta, types, marker, events, stats, seq of the queue
  ARGV[1]     key prefix
  ARGV[2..3]  settings, random (unused)
  ARGV[4]     seq
  ARGV[5]     token
  ARGV[6]     lines kept (the oldest are dropped)
  ARGV[7..]   lines

  Returns: { code, state }: 1 appended; -1 job gone; -2 lease no longer held.
]]
--!include includes/keys.lua

local seq, token, keep = ARGV[4], ARGV[5], tonumber(ARGV[6])
local job = redis.call('HMGET', job_key(seq), 's', 'tk')
if not job[1] then return { -1, '' } end
if job[2] ~= token then return { -2, job[1] } end
local key = log_key(seq)
redis.call('RPUSH', key, unpack(ARGV, 7))
redis.call('LTRIM', key, -keep, -1)
return { 1, job[1] }

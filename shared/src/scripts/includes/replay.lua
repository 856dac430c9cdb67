--[[
  Remembered takes, so a lost reply costs no attempt. Each settle-and-take call of
  a consumer that leases jobs remembers them for one lease duration under
  takes:<consumer>:<call id mod 2>, as "<call id>|<seq>:<token>,...": two slots,
  because a consumer has at most two calls in flight, and a call is only numbered
  after the one two before it has ended.
  Requires keys, transitions (defer_add), scores, take (push_lease).
]]
local function takes_key(consumer, call) return P .. 'takes:' .. consumer .. ':' .. (call % 2) end

-- Appends to `leases` (take.lua's LEASE_FIELDS per job) the leases that call `call`
-- took and that are still held as it took them, with their deadlines renewed.
-- Returns false when the call is not remembered.
local function remembered_leases(leases, consumer, call, now, lease_ms)
  local stored = redis.call('GET', takes_key(consumer, call))
  if not stored then return false end
  local id, list = string.match(stored, '^(%d+)|(.*)$')
  if tonumber(id) ~= call then return false end
  local deadline_score = lease_score(now + lease_ms)
  for seq, token in string.gmatch(list, '(%d+):(%d+)') do
    local job = redis.call('HMGET', job_key(seq), 's', 'tk', 'a', 't', 'd', 'ma', 'to', 'c', 'dp')
    if job[1] == 'processing' and job[2] == token then
      defer_add(index_key('processing', job[4]), deadline_score, seq)
      push_lease(leases, seq, token, job[3], job[4], job[5], tonumber(job[6]), job[7], tonumber(job[8]), job[9])
    end
  end
  return true
end

local function remember_takes(consumer, call, leases, lease_ms)
  if #leases == 0 then return end
  -- Joined in one table.concat: a string per lease would be built and interned for nothing.
  local parts, n = { call, '|' }, 2
  for i = 1, #leases, LEASE_FIELDS do
    parts[n + 1], parts[n + 2], parts[n + 3], parts[n + 4] = leases[i], ':', leases[i + 1], ','
    n = n + 4
  end
  parts[n] = nil -- the last ','
  redis.call('SET', takes_key(consumer, call), table.concat(parts), 'PX', lease_ms)
end

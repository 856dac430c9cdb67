--[[
  Fencing. A call about a running job presents the lease token it was given; only
  the current holder of a processing job may change it. Anyone else (a worker
  whose lease expired and was re-leased, or whose job was canceled) changes
  nothing and learns the job's state.
  Returns 1 when the lease holds, -1 when the job is gone, -2 when the lease is lost.
]]
local function lease_code(state, current_token, token)
  if not state then return -1 end
  if state ~= 'processing' or current_token ~= token then return -2 end
  return 1
end

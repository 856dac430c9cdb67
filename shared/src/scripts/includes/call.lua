--[[
  A call's set-up. Each script is a Redis Function in a library of its own (see
  load-scripts.ts): the library's chunk, every include's functions, runs once at
  FUNCTION LOAD. As an EVAL script it ran on every call, and making its closures cost
  settle-and-take about 45 µs of Redis's time per call. What belongs to one call (the
  queue's keys, settings, the clock, buffers) is set by the functions the includes
  hand to on_call, in include order, before the script's body runs.
]]
local KEYS, ARGV
local CALL_SETUP = {}
local function on_call(setup) CALL_SETUP[#CALL_SETUP + 1] = setup end
-- An error reply when a set-up refuses the call (before any write), else nil.
local function begin_call(keys, args)
  KEYS, ARGV = keys, args
  for i = 1, #CALL_SETUP do
    local refused = CALL_SETUP[i]()
    if refused then return refused end
  end
  return nil
end

--[[
  Scores of the per-state indexes. Every score is unique within a queue (up to a
  collision of two sequence numbers 4096 apart in the same millisecond), so
  listing cursors are exact and pages never overlap.

  pending:   band * 2^42 + order, where band = 10 - priority (higher priority sorts
             first) and order comes from the queue's sequence counter (FIFO).
  processing: the lease deadline in whole ms, with no tiebreak: jobs leased or
             renewed in one call share a score (see lease_score).
  others:    a time in ms plus (seq mod 4096) / 4096 as a tiebreak; the fraction is
             a dyadic number, exact in a double until 2^41 ms (September 2039);
             later, neighbouring fractions round together and ties grow.
  Listing handles ties (it reads whole groups of equal scores, ordered by seq).
]]
local BAND = 4398046511104 -- 2^42

-- For strings (cursors, range bounds). Scores handed to redis.call as numbers are
-- converted with 17 significant digits by Redis itself, which is exact.
local function fmt(score) return string.format('%.17g', score) end

-- A number: exact as a double (< 2^46); formatted when written.
local function pending_score(priority, order)
  return (10 - priority) * BAND + order
end

local function time_score(ms, seq)
  return ms + (tonumber(seq) % 4096) / 4096
end

-- The processing index holds a worker's leases, under 128 per type in most queues:
-- a listpack, which keeps a score that is not an integer as text. Every insert
-- compares its way in from the head, parsing each stored score with strtod: with
-- fractional scores that was a tenth of Redis's time on the hot path. Integer
-- scores are stored as integers, and a string argument spares the printf that a
-- number costs redis.call.
local function lease_score(deadline)
  return string.format('%d', deadline)
end

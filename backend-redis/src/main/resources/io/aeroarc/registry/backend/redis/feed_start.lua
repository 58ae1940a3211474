-- ARGV: prefix, position ('' for now). Where a change-feed subscription starts, atomically
-- against every write: {1, seq} to read after `seq`, or {0} when changes after `position` are no
-- longer all in the stream (trimmed, or Redis lost its data since). Starting "now" creates the
-- counter if needed, so the first change written after it is seq + 1.
local position = ARGV[2]
local seq = redis.call('GET', CHANGES_SEQ)
if position == '' then
  if not seq then
    local t = redis.call('TIME')
    seq = t[1] .. string.format('%06d', tonumber(t[2]))
    redis.call('SET', CHANGES_SEQ, seq)
  end
  return {1, seq}
end
local after = tonumber(position)
if not seq or not after then return {0} end
if tonumber(seq) == after then return {1, seq} end
if tonumber(seq) < after then return {0} end
-- Trimming only drops the oldest entries: when the one after `position` is kept, all later ones are.
local next_id = string.format('%d', after + 1) .. '-0'
if #redis.call('XRANGE', CHANGES, next_id, next_id) == 1 then return {1, position} end
return {0}

-- ARGV: prefix, after relay id, relay budget, entry budget. For up to `relay budget` relays after
-- `after relay id`, drops expired placements from the relay's own indexes (those of placements
-- that expired while the relay stayed live; the agent's hash, which names its relay, is gone by
-- then), at most `entry budget` in all.
-- Returns {entries dropped, id to continue after, 1 when the relay index ended}. When the entry
-- budget runs out inside a relay, the id to continue after is the one before it, so the next call
-- finishes that relay.
local after, relay_budget, entry_budget = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local dropped = 0
local relay_ids = redis.call('ZRANGEBYLEX', RELAYS, lex_after(after), '+', 'LIMIT', 0, relay_budget)
local last = after
for _, relay_id in ipairs(relay_ids) do
  local left = entry_budget - dropped
  local expiries = relay_agent_expiries_key(relay_id)
  local ended = redis.call('ZRANGEBYSCORE', expiries, '-inf', int(now), 'LIMIT', 0, left)
  if #ended > 0 then
    redis.call('ZREM', relay_agents_key(relay_id), unpack(ended))
    redis.call('ZREM', expiries, unpack(ended))
    dropped = dropped + #ended
  end
  if #ended == left then return {dropped, last, 0} end
  last = relay_id
end
return {dropped, last, #relay_ids < relay_budget and 1 or 0}

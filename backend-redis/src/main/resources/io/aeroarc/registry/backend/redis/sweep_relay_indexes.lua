-- ARGV: prefix, after relay id, relay budget, entry budget. For up to `relay budget` relays after
-- `after relay id`, drops up to `entry budget` expired placements from the relay's own indexes
-- (those of placements that expired while the relay stayed live).
-- Returns {entries dropped, last relay id examined, 1 when the relay index ended}.
local after, relay_budget, entry_budget = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local dropped = 0
local relay_ids = redis.call('ZRANGEBYLEX', RELAYS, lex_after(after), '+', 'LIMIT', 0, relay_budget)
local last = after
for _, relay_id in ipairs(relay_ids) do
  last = relay_id
  local expiries = relay_agent_expiries_key(relay_id)
  local ended = redis.call('ZRANGEBYSCORE', expiries, '-inf', int(now), 'LIMIT', 0, entry_budget)
  if #ended > 0 then
    redis.call('ZREM', relay_agents_key(relay_id), unpack(ended))
    redis.call('ZREM', expiries, unpack(ended))
    dropped = dropped + #ended
  end
end
return {dropped, last, #relay_ids < relay_budget and 1 or 0}

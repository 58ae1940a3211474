-- ARGV: prefix, budget. Drops up to `budget` relays and `budget` agents whose expiry passed,
-- from every index, and moves renewed agents' sweep score on to their expiry.
-- Returns {entries dropped, 1 when more may be left}.
local budget = tonumber(ARGV[2])
local now = now_ms()
local dropped = 0
local relay_ids = redis.call('ZRANGEBYSCORE', RELAY_EXPIRIES, '-inf', int(now), 'LIMIT', 0, budget)
for _, relay_id in ipairs(relay_ids) do
  if not live_relay(relay_id, now) then
    forget_relay(relay_id)
    dropped = dropped + 1
  end
end
local agent_ids = redis.call('ZRANGEBYSCORE', AGENT_EXPIRIES, '-inf', int(now), 'LIMIT', 0, budget)
for _, agent_id in ipairs(agent_ids) do
  local placement = visible_placement(agent_id, now)
  if placement then
    redis.call('ZADD', AGENT_EXPIRIES, placement[5], agent_id)
  else
    forget_agent(agent_id)
    dropped = dropped + 1
  end
end
return {dropped, (#relay_ids == budget or #agent_ids == budget) and 1 or 0}

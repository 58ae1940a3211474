-- ARGV: prefix, relay budget, agent budget. Drops up to `relay budget` relays and up to
-- `agent budget` agents whose expiry passed, from every index. A budget of 0 skips that index.
-- Renewals keep the agent index exact; a placement still visible (its score written by an older
-- version) gets its score moved on to its expiry.
-- Returns {entries dropped, 1 when relays may be left, 1 when agents may be left}.
local relay_budget, agent_budget = tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local dropped = 0
local relay_ids = {}
if relay_budget > 0 then
  relay_ids = redis.call('ZRANGEBYSCORE', RELAY_EXPIRIES, '-inf', int(now), 'LIMIT', 0, relay_budget)
end
for _, relay_id in ipairs(relay_ids) do
  if not live_relay(relay_id, now) then
    forget_relay(relay_id)
    dropped = dropped + 1
  end
end
local agent_ids = {}
if agent_budget > 0 then
  agent_ids = redis.call('ZRANGEBYSCORE', AGENT_EXPIRIES, '-inf', int(now), 'LIMIT', 0, agent_budget)
end
for _, agent_id in ipairs(agent_ids) do
  local placement = visible_placement(agent_id, now)
  if placement then
    redis.call('ZADD', AGENT_EXPIRIES, placement[5], agent_id)
  else
    forget_agent(agent_id)
    dropped = dropped + 1
  end
end
return {dropped, (relay_budget > 0 and #relay_ids == relay_budget) and 1 or 0,
  (agent_budget > 0 and #agent_ids == agent_budget) and 1 or 0}

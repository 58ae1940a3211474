-- ARGV: prefix, relay id ('' for all relays), after id, wanted, scan budget.
-- Examines at most `scan budget` ids after `after id`; stops early once `wanted` are visible.
-- Returns {placement records, last examined id, 1 when the index ended}.
local relay_id, after, wanted, budget = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
local index = AGENTS
if relay_id ~= '' then
  if not live_relay(relay_id, now) then return {{}, after, 1} end
  index = relay_agents_key(relay_id)
end
local ids = redis.call('ZRANGEBYLEX', index, lex_after(after), '+', 'LIMIT', 0, budget)
local records, last = {}, after
for _, agent_id in ipairs(ids) do
  last = agent_id
  local placement = visible_placement(agent_id, now)
  if placement and (relay_id == '' or placement[1] == relay_id) then
    records[#records + 1] = placement_record(agent_id, placement)
    if #records == wanted then break end
  else
    -- Placements that ended with their relay never become visible again and need no report of
    -- their own: drop them now rather than when their own TTL passes. One whose own TTL passed
    -- is left to the expiry reporter, which reports it.
    if not placement then
      local own_expiry = tonumber(redis.call('HGET', agent_key(agent_id), 'expires'))
      if own_expiry == nil or own_expiry > now then forget_agent(agent_id) end
    end
    if relay_id ~= '' then
      redis.call('ZREM', relay_agents_key(relay_id), agent_id)
      redis.call('ZREM', relay_agent_expiries_key(relay_id), agent_id)
    end
  end
end
return {records, last, #ids < budget and 1 or 0}

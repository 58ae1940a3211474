-- ARGV: prefix, agent id, relay id.
-- Returns {0} not found, {1, owning relay id} fenced, or {2} removed.
local agent_id, relay_id = ARGV[2], ARGV[3]
local placement = visible_placement(agent_id, now_ms())
if not placement then return {0} end
if placement[1] ~= relay_id then return {1, placement[1]} end
forget_agent(agent_id)
return {2}

-- ARGV: prefix, agent id, relay id, feed max len.
-- Returns {0} not found, {1, owning relay id} fenced, or {2} removed (recorded as PlacementRemoved).
local agent_id, relay_id, max_len = ARGV[2], ARGV[3], tonumber(ARGV[4])
local now = now_ms()
local placement = visible_placement(agent_id, now)
if not placement then return {0} end
if placement[1] ~= relay_id then return {1, placement[1]} end
record_placement_removed(max_len, agent_id, relay_id, placement[3], 'D', int(now))
forget_agent(agent_id)
return {2}

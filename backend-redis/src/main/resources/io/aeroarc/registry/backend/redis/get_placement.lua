-- ARGV: prefix, agent id. Returns {placement record, relay record}, or nil when not visible.
local agent_id = ARGV[2]
local now = now_ms()
local placement = visible_placement(agent_id, now)
if not placement then return false end
return {placement_record(agent_id, placement), relay_record(placement[1], read_relay(placement[1]), now)}

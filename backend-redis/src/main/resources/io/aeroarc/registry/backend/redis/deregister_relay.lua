-- ARGV: prefix, relay id. Returns 1 when a live relay was ended, else 0.
-- Its placements end with it: they name an incarnation that no longer exists. The agent entries
-- left in the global indexes are dropped by listing or by the sweep once their own TTL passes.
local relay_id = ARGV[2]
if not live_relay(relay_id, now_ms()) then return 0 end
forget_relay(relay_id)
return 1

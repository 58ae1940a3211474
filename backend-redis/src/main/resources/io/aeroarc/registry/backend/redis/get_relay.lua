-- ARGV: prefix, relay id. Returns the relay record, or nil when the relay is not live.
local relay_id = ARGV[2]
local now = now_ms()
local relay = read_relay(relay_id)
if not is_live(relay, now) then return false end
return relay_record(relay_id, relay, now)

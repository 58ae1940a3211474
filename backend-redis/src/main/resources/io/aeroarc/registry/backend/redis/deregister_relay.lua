-- ARGV: prefix, relay id, feed max len. Returns 1 when a live relay was ended, else 0.
-- Its placements end with it: they name an incarnation that no longer exists, and the recorded
-- RelayRemoved implies their end. Those whose own expiry passed unreported are reported first.
-- The agent entries left in the global indexes are dropped by listing or by the expiry reporter
-- once their own TTL passes.
local relay_id, max_len = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local incarnation = live_relay(relay_id, now)
if not incarnation then return 0 end
report_placements_expired_before(max_len, relay_id, incarnation, now, 100)
local registered = redis.call('HGET', relay_key(relay_id), 'registered')
record_relay_removed(max_len, relay_id, registered, 'D', int(now))
forget_relay(relay_id)
return 1

-- ARGV: prefix, 'relays' or 'agents'. Returns how many relays are live, or how many placements are
-- within their TTL, from the expiry indexes: O(log n), never a scan. For the metrics gauges, read
-- every few seconds. A placement on a relay that ended counts until the sweep removes it; one whose
-- agent renews less often than every half TTL may be missed until the expiry reporter re-scores it.
local index = RELAY_EXPIRIES
if ARGV[2] == 'agents' then index = AGENT_EXPIRIES end
return redis.call('ZCOUNT', index, '(' .. int(now_ms()), '+inf')

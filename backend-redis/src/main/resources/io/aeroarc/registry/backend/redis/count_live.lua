-- ARGV: prefix, 'relays' or 'agents'. Returns how many relays are live, or how many placements are
-- within their TTL (a placement on a relay that ended counts until the sweep removes it), from the
-- expiry indexes: O(log n), never a scan. For the metrics gauges, read every few seconds.
local index = RELAY_EXPIRIES
if ARGV[2] == 'agents' then index = AGENT_EXPIRIES end
return redis.call('ZCOUNT', index, '(' .. int(now_ms()), '+inf')

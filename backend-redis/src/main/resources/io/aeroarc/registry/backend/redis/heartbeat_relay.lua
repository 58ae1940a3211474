-- ARGV: prefix, relay id, ttl ms. Returns the new expiry, or nil when the relay is not live.
local relay_id, ttl = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
if not live_relay(relay_id, now) then return false end
local expires = int(now + ttl)
local keep = keep_until(now + ttl)
redis.call('HSET', relay_key(relay_id), 'heartbeat', int(now), 'expires', expires)
redis.call('PEXPIREAT', relay_key(relay_id), keep)
redis.call('PEXPIREAT', relay_agents_key(relay_id), keep)
redis.call('PEXPIREAT', relay_agent_expiries_key(relay_id), keep)
redis.call('ZADD', RELAY_EXPIRIES, expires, relay_id)
return now + ttl

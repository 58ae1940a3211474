-- ARGV: prefix, relay id, address, port, ttl ms, then label key/value pairs.
-- Returns the expiry.
local relay_id, ttl = ARGV[2], tonumber(ARGV[5])
local now = now_ms()
local key = relay_key(relay_id)
local current = redis.call('HMGET', key, 'incarnation', 'expires', 'registered')
local incarnation, registered
if current[1] and tonumber(current[2]) > now then
  incarnation, registered = current[1], current[3]
else
  -- A new incarnation starts with no placements: drop the indexes of the one that ended.
  redis.call('UNLINK', relay_agents_key(relay_id), relay_agent_expiries_key(relay_id))
  incarnation, registered = redis.call('INCR', INCARNATION), int(now)
end
local expires = int(now + ttl)
local fields = {'address', ARGV[3], 'port', ARGV[4], 'registered', registered, 'heartbeat', int(now),
  'expires', expires, 'incarnation', incarnation}
for i = 6, #ARGV, 2 do
  fields[#fields + 1] = 'label:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('DEL', key) -- labels are replaced, not merged
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIREAT', key, expires)
redis.call('PEXPIREAT', relay_agents_key(relay_id), expires)
redis.call('PEXPIREAT', relay_agent_expiries_key(relay_id), expires)
redis.call('ZADD', RELAYS, 0, relay_id)
redis.call('ZADD', RELAY_EXPIRIES, expires, relay_id)
return now + ttl

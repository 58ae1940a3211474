-- ARGV: prefix, relay id, ttl ms, then agent ids.
-- Returns {expiry, ids not visibly placed on the relay}, or nil when the relay is not live.
local relay_id, ttl = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local incarnation = live_relay(relay_id, now)
if not incarnation then return false end
local heartbeat, expires = int(now), int(now + ttl)
local lost, renewed = {}, {}
for i = 4, #ARGV do
  local agent_id = ARGV[i]
  local key = agent_key(agent_id)
  local a = redis.call('HMGET', key, 'relay', 'incarnation', 'expires')
  if a[1] == relay_id and a[2] == incarnation and tonumber(a[3]) > now then
    redis.call('HSET', key, 'heartbeat', heartbeat, 'expires', expires)
    redis.call('PEXPIREAT', key, expires)
    renewed[#renewed + 1] = expires
    renewed[#renewed + 1] = agent_id
  else
    lost[#lost + 1] = agent_id
  end
end
if #renewed > 0 then
  redis.call('ZADD', AGENT_EXPIRIES, unpack(renewed))
  redis.call('ZADD', relay_agent_expiries_key(relay_id), 'XX', unpack(renewed))
end
return {now + ttl, lost}

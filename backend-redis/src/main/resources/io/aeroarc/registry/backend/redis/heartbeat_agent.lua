-- ARGV: prefix, agent id, fence relay id ('' for any), fence epoch (0 for any), ttl ms.
-- Returns {0} not found, {1, relay id, epoch} fenced, or {2, expiry} renewed.
local agent_id, fence_relay, fence_epoch, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
local placement = visible_placement(agent_id, now)
if not placement then return {0} end
if (fence_relay ~= '' and fence_relay ~= placement[1])
    or (fence_epoch ~= 0 and fence_epoch ~= tonumber(placement[3])) then
  return {1, placement[1], placement[3]}
end
local expires = int(now + ttl)
if reindex_due(placement[6], now, ttl) then
  redis.call('HSET', agent_key(agent_id), 'heartbeat', int(now), 'expires', expires, 'indexed', expires)
  redis.call('ZADD', relay_agent_expiries_key(placement[1]), 'XX', expires, agent_id)
  redis.call('ZADD', AGENT_EXPIRIES, 'XX', expires, agent_id)
else
  redis.call('HSET', agent_key(agent_id), 'heartbeat', int(now), 'expires', expires)
end
redis.call('PEXPIREAT', agent_key(agent_id), keep_until(now + ttl))
return {2, now + ttl}

-- ARGV: prefix, agent id, relay id, ttl ms, feed max len.
-- Returns the placement record, or nil when the relay is not live. Records PlacementUpserted when
-- the epoch changes (after reporting a placement that expired unreported); registering again on
-- the relay it is visibly on is a renewal and records nothing.
local agent_id, relay_id, ttl, max_len = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
local incarnation, relay_expires = live_relay(relay_id, now)
if not incarnation then return false end
local key = agent_key(agent_id)
local current = redis.call('HMGET', key, 'relay', 'incarnation', 'epoch', 'expires')
local epoch
local changed = false
if current[1] == relay_id and current[2] == incarnation and tonumber(current[4]) > now then
  epoch = current[3]
else
  if current[1] then
    if tonumber(current[4]) <= now then end_expired_agent(max_len, agent_id, current) end
    redis.call('ZREM', relay_agents_key(current[1]), agent_id)
    redis.call('ZREM', relay_agent_expiries_key(current[1]), agent_id)
  end
  -- A counter lost with Redis' data resumes from the clock in microseconds, above every epoch
  -- handed out before, so a fence held from before the loss never matches a new placement.
  if redis.call('EXISTS', EPOCH) == 0 then redis.call('SET', EPOCH, int(now * 1000)) end
  epoch = redis.call('INCR', EPOCH)
  changed = true
end
local expires = int(now + ttl)
redis.call('HSET', key, 'relay', relay_id, 'incarnation', incarnation, 'epoch', epoch,
  'heartbeat', int(now), 'expires', expires, 'indexed', expires)
redis.call('PEXPIREAT', key, keep_until(now + ttl))
redis.call('ZADD', AGENTS, 0, agent_id)
redis.call('ZADD', AGENT_EXPIRIES, expires, agent_id)
redis.call('ZADD', relay_agents_key(relay_id), 0, agent_id)
redis.call('ZADD', relay_agent_expiries_key(relay_id), expires, agent_id)
-- The per-relay indexes end with the relay incarnation, like its hash.
redis.call('PEXPIREAT', relay_agents_key(relay_id), keep_until(relay_expires))
redis.call('PEXPIREAT', relay_agent_expiries_key(relay_id), keep_until(relay_expires))
if changed then record_placement_upserted(max_len, agent_id, relay_id, epoch, int(now), expires) end
return {agent_id, relay_id, epoch, now, now + ttl}

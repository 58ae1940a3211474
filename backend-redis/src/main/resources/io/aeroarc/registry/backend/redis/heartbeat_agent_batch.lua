-- ARGV: prefix, ttl ms, then per item: agent id, fence relay id ('' for any), fence epoch (0 for any).
-- Independent single-agent heartbeats in one call, judged in order at one instant, each exactly as
-- heartbeat_agent.lua would. Returns one reply per item: {0} not found, {1, relay id, epoch}
-- fenced, or {2, expiry} renewed.
local ttl = tonumber(ARGV[2])
local now = now_ms()
local expires = int(now + ttl)
local keep = keep_until(now + ttl)
local replies = {}
for i = 3, #ARGV, 3 do
  local agent_id, fence_relay, fence_epoch = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local placement = visible_placement(agent_id, now)
  if not placement then
    replies[#replies + 1] = {0}
  elseif (fence_relay ~= '' and fence_relay ~= placement[1])
      or (fence_epoch ~= 0 and fence_epoch ~= tonumber(placement[3])) then
    replies[#replies + 1] = {1, placement[1], placement[3]}
  else
    redis.call('HSET', agent_key(agent_id), 'heartbeat', int(now), 'expires', expires)
    redis.call('PEXPIREAT', agent_key(agent_id), keep)
    redis.call('ZADD', relay_agent_expiries_key(placement[1]), 'XX', expires, agent_id)
    redis.call('ZADD', AGENT_EXPIRIES, 'XX', expires, agent_id)
    replies[#replies + 1] = {2, now + ttl}
  end
end
return replies

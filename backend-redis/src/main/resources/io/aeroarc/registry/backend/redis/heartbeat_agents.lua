-- ARGV: prefix, relay id, ttl ms, then agent ids.
-- Returns {expiry, ids not visibly placed on the relay}, or nil when the relay is not live.
-- An agent is visibly placed on a live relay exactly when its score in the relay's expiry index
-- is in the future (that score and the hash's expiry are always written together), so one
-- ZMSCORE checks the whole batch.
local relay_id, ttl = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
if not live_relay(relay_id, now) then return false end
local expiries = relay_agent_expiries_key(relay_id)
local heartbeat, expires, keep = int(now), int(now + ttl), keep_until(now + ttl)
local lost, renewed = {}, {}
if #ARGV >= 4 then
  local scores = redis.call('ZMSCORE', expiries, unpack(ARGV, 4))
  for i = 4, #ARGV do
    local agent_id, score = ARGV[i], scores[i - 3]
    if score and tonumber(score) > now then
      local key = agent_key(agent_id)
      redis.call('HSET', key, 'heartbeat', heartbeat, 'expires', expires)
      redis.call('PEXPIREAT', key, keep)
      renewed[#renewed + 1] = expires
      renewed[#renewed + 1] = agent_id
    else
      lost[#lost + 1] = agent_id
    end
  end
end
if #renewed > 0 then
  redis.call('ZADD', expiries, 'XX', unpack(renewed))
  redis.call('ZADD', AGENT_EXPIRIES, 'XX', unpack(renewed))
end
return {now + ttl, lost}

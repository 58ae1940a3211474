-- ARGV: prefix, relay id, ttl ms, then agent ids.
-- Returns {expiry, ids not visibly placed on the relay}, or nil when the relay is not live.
-- An agent is visibly placed on a live relay when its score in the relay's expiry index is in the
-- future (a score is at most the placement's expiry, see reindex_due), so one ZMSCORE checks the
-- whole batch; only an id scored at or before now needs its hash read. An id without a score is
-- not placed on the relay.
local relay_id, ttl = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local incarnation = live_relay(relay_id, now)
if not incarnation then return false end
local expiries = relay_agent_expiries_key(relay_id)
local heartbeat, expires, keep = int(now), int(now + ttl), keep_until(now + ttl)
local lost, rescored = {}, {}
if #ARGV >= 4 then
  local scores = redis.call('ZMSCORE', expiries, unpack(ARGV, 4))
  for i = 4, #ARGV do
    local agent_id, score = ARGV[i], scores[i - 3]
    local key = agent_key(agent_id)
    local visible = score and tonumber(score) > now
    if score and not visible then
      visible = expiry_if_placed_on(agent_id, relay_id, incarnation, now) ~= nil
    end
    if not visible then
      lost[#lost + 1] = agent_id
    elseif reindex_due(score, now, ttl) then
      redis.call('HSET', key, 'heartbeat', heartbeat, 'expires', expires, 'indexed', expires)
      redis.call('PEXPIREAT', key, keep)
      rescored[#rescored + 1] = expires
      rescored[#rescored + 1] = agent_id
    else
      redis.call('HSET', key, 'heartbeat', heartbeat, 'expires', expires)
      redis.call('PEXPIREAT', key, keep)
    end
  end
end
if #rescored > 0 then
  redis.call('ZADD', expiries, 'XX', unpack(rescored))
  redis.call('ZADD', AGENT_EXPIRIES, 'XX', unpack(rescored))
end
return {now + ttl, lost}

-- ARGV: prefix, ttl ms, then per item: agent id, fence relay id ('' for any), fence epoch (0 for any).
-- Independent single-agent heartbeats in one call, judged in order at one instant, each exactly as
-- heartbeat_agent.lua would. Returns one flat array: the expiry of the renewed items, then per
-- item 0 (not found), 2 (renewed), or 1 followed by the relay id and epoch (fenced).
--
-- Redis' time goes mostly per command run: an item costs the HMGET, HSET and PEXPIREAT of its own
-- hash; each relay's liveness is read once per call (renewals do not change it), and the expiry
-- indexes of the items whose scores are due (reindex_due) are written with one ZADD per relay and
-- one for all, as heartbeat_agents.lua does.
local ttl = tonumber(ARGV[2])
local now = now_ms()
local heartbeat = int(now)
local expires = int(now + ttl)
local keep = keep_until(now + ttl)
local incarnations = {}     -- relay id -> its live incarnation, or false when it is not live
local rescored_on = {}      -- relay id -> {expires, agent id, expires, agent id, ...} to re-score
local rescored = {}         -- the same pairs for every relay
local replies = {now + ttl}
for i = 3, #ARGV, 3 do
  local agent_id, fence_relay, fence_epoch = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local key = agent_key(agent_id)
  local a = redis.call('HMGET', key, 'relay', 'incarnation', 'epoch', 'expires', 'indexed')
  local relay_id = a[1]
  local visible = false
  if relay_id and tonumber(a[4]) > now then
    local incarnation = incarnations[relay_id]
    if incarnation == nil then
      incarnation = live_relay(relay_id, now) or false
      incarnations[relay_id] = incarnation
    end
    visible = incarnation == a[2]
  end
  if not visible then
    replies[#replies + 1] = 0
  elseif (fence_relay ~= '' and fence_relay ~= relay_id)
      or (fence_epoch ~= 0 and fence_epoch ~= tonumber(a[3])) then
    replies[#replies + 1] = 1
    replies[#replies + 1] = relay_id
    replies[#replies + 1] = a[3]
  else
    if reindex_due(a[5], now, ttl) then
      redis.call('HSET', key, 'heartbeat', heartbeat, 'expires', expires, 'indexed', expires)
      local on_relay = rescored_on[relay_id]
      if not on_relay then
        on_relay = {}
        rescored_on[relay_id] = on_relay
      end
      on_relay[#on_relay + 1] = expires
      on_relay[#on_relay + 1] = agent_id
      rescored[#rescored + 1] = expires
      rescored[#rescored + 1] = agent_id
    else
      redis.call('HSET', key, 'heartbeat', heartbeat, 'expires', expires)
    end
    redis.call('PEXPIREAT', key, keep)
    replies[#replies + 1] = 2
  end
end
for relay_id, pairs_on_relay in pairs(rescored_on) do
  redis.call('ZADD', relay_agent_expiries_key(relay_id), 'XX', unpack(pairs_on_relay))
end
if #rescored > 0 then
  redis.call('ZADD', AGENT_EXPIRIES, 'XX', unpack(rescored))
end
return replies

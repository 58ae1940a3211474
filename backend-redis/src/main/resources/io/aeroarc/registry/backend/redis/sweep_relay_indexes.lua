-- ARGV: prefix, after relay id, relay budget, entry budget. For up to `relay budget` relays after
-- `after relay id`, settles the entries of the relay's own indexes scored at or before now, at most
-- `entry budget` in all: a placement still visible on the relay (its agent renews less often than
-- every half TTL, see reindex_due) gets its hash's expiry as its score; any other is dropped (it
-- expired while the relay stayed live, and the expiry reporter reports it from the agent index).
-- Returns {entries dropped, id to continue after, 1 when the relay index ended}. When the entry
-- budget runs out inside a relay, the id to continue after is the one before it, so the next call
-- finishes that relay.
local after, relay_budget, entry_budget = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local settled, dropped = 0, 0
local relay_ids = redis.call('ZRANGEBYLEX', RELAYS, lex_after(after), '+', 'LIMIT', 0, relay_budget)
local last = after
for _, relay_id in ipairs(relay_ids) do
  local left = entry_budget - settled
  local expiries = relay_agent_expiries_key(relay_id)
  local due = redis.call('ZRANGEBYSCORE', expiries, '-inf', int(now), 'LIMIT', 0, left)
  if #due > 0 then
    local incarnation = live_relay(relay_id, now)
    local ended = {}
    for _, agent_id in ipairs(due) do
      local expires = incarnation and expiry_if_placed_on(agent_id, relay_id, incarnation, now)
      if expires then
        redis.call('ZADD', expiries, 'XX', expires, agent_id)
      else
        ended[#ended + 1] = agent_id
      end
    end
    if #ended > 0 then
      redis.call('ZREM', relay_agents_key(relay_id), unpack(ended))
      redis.call('ZREM', expiries, unpack(ended))
      dropped = dropped + #ended
    end
    settled = settled + #due
  end
  if #due == left then return {dropped, last, 0} end
  last = relay_id
end
return {dropped, last, #relay_ids < relay_budget and 1 or 0}

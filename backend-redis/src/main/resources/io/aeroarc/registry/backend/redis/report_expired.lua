-- ARGV: prefix, feed max len, relay budget, agent budget. The expiry reporter's step: drops up to
-- about `relay budget` relays and `agent budget` agents whose expiry passed from every index, and
-- records each end in the change stream in the same step, so whichever registry server's reporter
-- pops an entry reports it, once. A budget of 0 skips that index. Relay scores are exact (every
-- renewal writes them); an agent's score is at most its expiry (see reindex_due), so an agent met
-- here may have renewed since: it gets its hash's expiry as its score.
-- Returns {entries dropped, 1 when relays may be left, 1 when agents may be left}.
local max_len, relay_budget, agent_budget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local dropped = 0
local relays_left, agents_left = 0, 0
if relay_budget > 0 then
  local relay_ids = redis.call('ZRANGEBYSCORE', RELAY_EXPIRIES, '-inf', int(now), 'LIMIT', 0, relay_budget)
  -- A relay's placements that expired before it are reported with it, and count to its budget.
  local work = 0
  for _, relay_id in ipairs(relay_ids) do
    if work >= relay_budget then relays_left = 1; break end
    local relay = read_relay(relay_id)
    if is_live(relay, now) then
      redis.call('ZADD', RELAY_EXPIRIES, relay.expires, relay_id) -- a score written by an older version
    elseif relay then
      work = work + 1 + end_expired_relay(max_len, relay_id, relay, relay_budget - work)
      dropped = dropped + 1
    else
      forget_relay(relay_id) -- its hash is gone (no reporter ran for a day): nothing left to report
      work = work + 1
      dropped = dropped + 1
    end
  end
  if #relay_ids == relay_budget then relays_left = 1 end
end
if agent_budget > 0 then
  local agent_ids = redis.call('ZRANGEBYSCORE', AGENT_EXPIRIES, '-inf', int(now), 'LIMIT', 0, agent_budget)
  for _, agent_id in ipairs(agent_ids) do
    local a = redis.call('HMGET', agent_key(agent_id), 'relay', 'incarnation', 'epoch', 'expires')
    if a[1] and tonumber(a[4]) > now then
      redis.call('ZADD', AGENT_EXPIRIES, a[4], agent_id)
    elseif a[1] then
      end_expired_agent(max_len, agent_id, a)
      dropped = dropped + 1
    else
      forget_agent(agent_id)
      dropped = dropped + 1
    end
  end
  if #agent_ids == agent_budget then agents_left = 1 end
end
return {dropped, relays_left, agents_left}

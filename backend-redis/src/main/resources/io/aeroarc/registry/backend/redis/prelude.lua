-- Prepended to every registry script. ARGV[1] is the key prefix; scripts build their keys from
-- it because which relay an agent is on is only known inside the script (single Redis, no Cluster).
local P = ARGV[1]
local RELAYS = P .. 'relays'                  -- zset, score 0: relay ids in byte order, for paging
local RELAY_EXPIRIES = P .. 'relay-expiries'  -- zset, score expiry: relay ids, for the sweep
local AGENTS = P .. 'agents'                  -- zset, score 0: agent ids in byte order, for paging
-- zset, score: at most the agent's placement expiry (see reindex_due), for the expiry reporter.
local AGENT_EXPIRIES = P .. 'agent-expiries'
local EPOCH = P .. 'epoch'                    -- counter: the last fencing token handed out
local INCARNATION = P .. 'incarnation'        -- counter: the last relay incarnation started
-- stream: every visible change, written by the script that makes it; entry ids are '<seq>-0'
local CHANGES = P .. 'changes'
local CHANGES_SEQ = P .. 'changes-seq'        -- counter: the seq of the last change written
-- How long a relay's or agent's keys outlive its expiry in Redis: the expiry reporter reads them
-- to report the end (registration time, relay, epoch) and deletes them then; Redis' own expiry
-- only frees them when no registry server ran for that long.
local KEEP_ENDED_MS = 24 * 3600 * 1000

local function relay_key(relay_id) return P .. 'relay:' .. relay_id end
local function relay_agents_key(relay_id) return P .. 'relay-agents:' .. relay_id end
-- zset, score: at most the placement's expiry (see reindex_due), to count the relay's placements
local function relay_agent_expiries_key(relay_id) return P .. 'relay-agent-expiries:' .. relay_id end
local function agent_key(agent_id) return P .. 'agent:' .. agent_id end

-- Every registry server reads one clock, Redis', so skewed servers agree on liveness.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Unix ms as an integer string; Redis would otherwise format large Lua numbers with an exponent.
local function int(n) return string.format('%d', n) end

-- When Redis may drop the keys of an entry that expires at `expires` (a number).
local function keep_until(expires) return int(expires + KEEP_ENDED_MS) end

local function lex_after(id) if id == '' then return '-' end return '(' .. id end

-- The relay's hash as a field table, or nil when it has none.
local function read_relay(relay_id)
  local flat = redis.call('HGETALL', relay_key(relay_id))
  if #flat == 0 then return nil end
  local fields = {}
  for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
  return fields
end

local function is_live(relay, now) return relay ~= nil and tonumber(relay.expires) > now end

-- The incarnation and expiry of the relay when it is live, else nil.
local function live_relay(relay_id, now)
  local r = redis.call('HMGET', relay_key(relay_id), 'incarnation', 'expires')
  if r[1] and tonumber(r[2]) > now then return r[1], tonumber(r[2]) end
  return nil
end

-- Whether a renewal to now + ttl rewrites the placement's scores in both expiry indexes, given
-- `indexed`, the score last written there (the hash's 'indexed' field; nil before this field).
-- Scores stay at most the placement's expiry, so a score after now is a visible placement and
-- only a score at or before now needs the hash's word. Rewriting them once half the TTL is used
-- up, rather than on every renewal, keeps that true for every agent that renews more often than
-- every half TTL, and spares each other renewal two sorted-set updates, which cost Redis about as
-- much as the rest of a renewal (measured: 100,000 agents, 32 renewals per script). A TTL
-- shorter than before rewrites them at once, so no score lies after the expiry.
local function reindex_due(indexed, now, ttl)
  local score = tonumber(indexed) or 0
  return score - now <= ttl / 2 or score > now + ttl
end

-- {relay, incarnation, epoch, heartbeat, expires, indexed} of the agent's placement when it is
-- visible: its own TTL runs and the relay incarnation it was placed on is the live one. Else nil.
local function visible_placement(agent_id, now)
  local a = redis.call('HMGET', agent_key(agent_id), 'relay', 'incarnation', 'epoch', 'heartbeat', 'expires', 'indexed')
  if not a[1] or tonumber(a[5]) <= now then return nil end
  if live_relay(a[1], now) ~= a[2] then return nil end
  return a
end

-- The expiry (a string) of the agent's placement when its hash shows it on this relay incarnation
-- with its expiry after `now`, else nil: the hash's word for an index entry scored at or before now.
local function expiry_if_placed_on(agent_id, relay_id, incarnation, now)
  local a = redis.call('HMGET', agent_key(agent_id), 'relay', 'incarnation', 'expires')
  if a[1] == relay_id and a[2] == incarnation and tonumber(a[3]) > now then return a[3] end
  return nil
end

-- How many placements on the live relay are visible at `now`: every score after now, and those
-- at or before now whose hash still shows a placement on this incarnation with its expiry ahead
-- (an agent renewing less often than every half TTL, until its next renewal or the sweep).
local function visible_agent_count(relay_id, incarnation, now)
  local expiries = relay_agent_expiries_key(relay_id)
  local count = redis.call('ZCOUNT', expiries, '(' .. int(now), '+inf')
  for _, agent_id in ipairs(redis.call('ZRANGEBYSCORE', expiries, '-inf', int(now))) do
    if expiry_if_placed_on(agent_id, relay_id, incarnation, now) then count = count + 1 end
  end
  return count
end

-- {id, address, port, registered, heartbeat, expires, agent count, label key, label value, ...}
local function relay_record(relay_id, relay, now)
  local count = visible_agent_count(relay_id, relay.incarnation, now)
  local record = {relay_id, relay.address, relay.port, relay.registered, relay.heartbeat, relay.expires, count}
  for field, value in pairs(relay) do
    if string.sub(field, 1, 6) == 'label:' then
      record[#record + 1] = string.sub(field, 7)
      record[#record + 1] = value
    end
  end
  return record
end

-- {agent id, relay, epoch, heartbeat, expires}
local function placement_record(agent_id, placement)
  return {agent_id, placement[1], placement[3], placement[4], placement[5]}
end

-- Drops an ended relay incarnation and its per-relay indexes.
local function forget_relay(relay_id)
  redis.call('DEL', relay_key(relay_id))
  redis.call('UNLINK', relay_agents_key(relay_id), relay_agent_expiries_key(relay_id))
  redis.call('ZREM', RELAYS, relay_id)
  redis.call('ZREM', RELAY_EXPIRIES, relay_id)
end

-- Drops an agent whose placement is not visible, from every index that may still hold it.
local function forget_agent(agent_id)
  local relay_id = redis.call('HGET', agent_key(agent_id), 'relay')
  if relay_id then
    redis.call('ZREM', relay_agents_key(relay_id), agent_id)
    redis.call('ZREM', relay_agent_expiries_key(relay_id), agent_id)
  end
  redis.call('DEL', agent_key(agent_id))
  redis.call('ZREM', AGENTS, agent_id)
  redis.call('ZREM', AGENT_EXPIRIES, agent_id)
end


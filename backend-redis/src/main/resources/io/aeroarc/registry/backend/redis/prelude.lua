-- Prepended to every registry script. ARGV[1] is the key prefix; scripts build their keys from
-- it because which relay an agent is on is only known inside the script (single Redis, no Cluster).
local P = ARGV[1]
local RELAYS = P .. 'relays'                  -- zset, score 0: relay ids in byte order, for paging
local RELAY_EXPIRIES = P .. 'relay-expiries'  -- zset, score expiry: relay ids, for the sweep
local AGENTS = P .. 'agents'                  -- zset, score 0: agent ids in byte order, for paging
-- zset, score: the agent's placement expiry. Registration and every renewal write it with the
-- hash's expiry, so the sweep only ever finds placements that ended. (Scores written by older
-- versions may lag behind a renewal; the sweep moves those on.)
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

-- {relay, incarnation, epoch, heartbeat, expires} of the agent's placement when it is visible:
-- its own TTL runs and the relay incarnation it was placed on is the live one. Else nil.
local function visible_placement(agent_id, now)
  local a = redis.call('HMGET', agent_key(agent_id), 'relay', 'incarnation', 'epoch', 'heartbeat', 'expires')
  if not a[1] or tonumber(a[5]) <= now then return nil end
  if live_relay(a[1], now) ~= a[2] then return nil end
  return a
end

-- {id, address, port, registered, heartbeat, expires, agent count, label key, label value, ...}
local function relay_record(relay_id, relay, now)
  local count = redis.call('ZCOUNT', relay_agent_expiries_key(relay_id), '(' .. int(now), '+inf')
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

-- ------------------------------------------------------------------ the change stream
-- Appends one change to the stream, trimmed to about `max_len` entries; 0 writes nothing (feed
-- off). Entry ids are consecutive ('<seq>-0'), so a reader tells a trimmed gap from no change.
-- The counter starts at Redis' time in microseconds, so after Redis lost its data the new ids
-- lie above every id handed out before and a reader's old position reads as a gap.
local function record_change(max_len, ...)
  if max_len <= 0 then return end
  if redis.call('EXISTS', CHANGES_SEQ) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', CHANGES_SEQ, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  local seq = redis.call('INCR', CHANGES_SEQ)
  redis.call('XADD', CHANGES, 'MAXLEN', '~', max_len, int(seq) .. '-0', ...)
end

local function record_relay_upserted(max_len, relay_id, fields)
  local change = {'k', 'ru', 'id', relay_id, 'addr', fields.address, 'port', fields.port,
    'reg', fields.registered, 'hb', fields.heartbeat, 'exp', fields.expires}
  for field, value in pairs(fields) do
    if string.sub(field, 1, 6) == 'label:' then
      change[#change + 1] = field
      change[#change + 1] = value
    end
  end
  record_change(max_len, unpack(change))
end

-- `why`: 'E' expired, 'D' deregistered; `at`: the expiry, or the call's time.
local function record_relay_removed(max_len, relay_id, registered, why, at)
  record_change(max_len, 'k', 'rr', 'id', relay_id, 'reg', registered or '0', 'why', why, 'at', at)
end

local function record_placement_upserted(max_len, agent_id, relay_id, epoch, heartbeat, expires)
  record_change(max_len, 'k', 'pu', 'id', agent_id, 'relay', relay_id, 'epoch', epoch, 'hb', heartbeat, 'exp', expires)
end

local function record_placement_removed(max_len, agent_id, relay_id, epoch, why, at)
  record_change(max_len, 'k', 'pr', 'id', agent_id, 'relay', relay_id, 'epoch', epoch, 'why', why, 'at', at)
end

-- ------------------------------------------------------------------ reporting ends
-- An entry's end is reported once, by the script that first drops it: deregistration at the
-- call, an expiry by whichever script meets the expired entry first (the expiry reporter, or a
-- registration that replaces it). A placement ended by its relay's end is implied by the relay's
-- removal and not reported; one that expired before its relay ended is reported as EXPIRED.

-- Agents placed on the relay incarnation that ends at `ended_at` and whose own expiry came
-- before: reported EXPIRED and dropped, at most `limit` (the rest stay implied by the relay's end).
-- Returns how many were looked at.
local function report_placements_expired_before(max_len, relay_id, incarnation, ended_at, limit)
  if limit <= 0 then return 0 end
  local ids = redis.call('ZRANGEBYSCORE', relay_agent_expiries_key(relay_id), '-inf', '(' .. int(ended_at),
    'LIMIT', 0, limit)
  for _, agent_id in ipairs(ids) do
    local a = redis.call('HMGET', agent_key(agent_id), 'relay', 'incarnation', 'epoch', 'expires')
    if a[1] == relay_id and a[2] == incarnation and tonumber(a[4]) < ended_at then
      record_placement_removed(max_len, agent_id, relay_id, a[3], 'E', a[4])
      forget_agent(agent_id)
    end
  end
  return #ids
end

-- Ends a relay incarnation whose expiry passed (its hash `relay` still there): reports it and
-- the placements that expired before it, and drops it. Returns the placements looked at.
local function end_expired_relay(max_len, relay_id, relay, flush_limit)
  local expires = tonumber(relay.expires)
  local looked = report_placements_expired_before(max_len, relay_id, relay.incarnation, expires, flush_limit)
  record_relay_removed(max_len, relay_id, relay.registered, 'E', relay.expires)
  forget_relay(relay_id)
  return looked
end

-- Ends a placement whose own expiry passed (`a` = HMGET relay, incarnation, epoch, expires of its
-- hash): reported EXPIRED when its relay incarnation outlived it, else implied by the relay's end.
local function end_expired_agent(max_len, agent_id, a)
  local r = redis.call('HMGET', relay_key(a[1]), 'incarnation', 'expires')
  if r[1] and r[1] == a[2] and tonumber(r[2]) > tonumber(a[4]) then
    record_placement_removed(max_len, agent_id, a[1], a[3], 'E', a[4])
  end
  forget_agent(agent_id)
end

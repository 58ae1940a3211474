-- Prepended after prelude.lua to the scripts that record changes (RegistryScript.recordsChanges),
-- and only to them, so the renewal scripts do not pay for defining these functions on every call.
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

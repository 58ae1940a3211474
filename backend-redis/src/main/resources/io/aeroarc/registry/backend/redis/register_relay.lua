-- ARGV: prefix, relay id, address, port, ttl ms, feed max len, then label key/value pairs.
-- Returns the expiry. Records RelayUpserted when a new incarnation starts or the address, port or
-- labels change (after reporting an incarnation that expired unreported); a registration that
-- changes nothing else is a renewal and records nothing.
local relay_id, ttl, max_len = ARGV[2], tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()
local key = relay_key(relay_id)
local current = read_relay(relay_id)
local incarnation, registered
local changed = true
if is_live(current, now) then
  incarnation, registered = current.incarnation, current.registered
  changed = current.address ~= ARGV[3] or current.port ~= ARGV[4]
  local labels = 0
  for field, value in pairs(current) do
    if string.sub(field, 1, 6) == 'label:' then labels = labels + 1 end
  end
  if labels ~= (#ARGV - 6) / 2 then changed = true end
  for i = 7, #ARGV, 2 do
    if current['label:' .. ARGV[i]] ~= ARGV[i + 1] then changed = true end
  end
else
  if current then end_expired_relay(max_len, relay_id, current, 100) end
  -- A new incarnation starts with no placements: drop the indexes of the one that ended.
  redis.call('UNLINK', relay_agents_key(relay_id), relay_agent_expiries_key(relay_id))
  incarnation, registered = redis.call('INCR', INCARNATION), int(now)
end
local expires = int(now + ttl)
local keep = keep_until(now + ttl)
local fields = {'address', ARGV[3], 'port', ARGV[4], 'registered', registered, 'heartbeat', int(now),
  'expires', expires, 'incarnation', incarnation}
for i = 7, #ARGV, 2 do
  fields[#fields + 1] = 'label:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('DEL', key) -- labels are replaced, not merged
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIREAT', key, keep)
redis.call('PEXPIREAT', relay_agents_key(relay_id), keep)
redis.call('PEXPIREAT', relay_agent_expiries_key(relay_id), keep)
redis.call('ZADD', RELAYS, 0, relay_id)
redis.call('ZADD', RELAY_EXPIRIES, expires, relay_id)
if changed then
  local record = {}
  for i = 1, #fields, 2 do record[fields[i]] = fields[i + 1] end
  record_relay_upserted(max_len, relay_id, record)
end
return now + ttl

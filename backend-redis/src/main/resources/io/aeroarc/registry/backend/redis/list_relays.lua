-- ARGV: prefix, after id, wanted, scan budget, then selector key/value pairs.
-- Examines at most `scan budget` ids after `after id`; stops early once `wanted` relays match.
-- Returns {relay records, last examined id, 1 when the index ended}.
local after, wanted, budget = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local ids = redis.call('ZRANGEBYLEX', RELAYS, lex_after(after), '+', 'LIMIT', 0, budget)
local records, last = {}, after
for _, relay_id in ipairs(ids) do
  last = relay_id
  local relay = read_relay(relay_id)
  if is_live(relay, now) then
    local matches = true
    for i = 5, #ARGV, 2 do
      if relay['label:' .. ARGV[i]] ~= ARGV[i + 1] then matches = false end
    end
    if matches then
      records[#records + 1] = relay_record(relay_id, relay, now)
      if #records == wanted then break end
    end
  elseif relay == nil then
    -- Left behind without its hash: nothing to report. An expired relay's hash stays until the
    -- expiry reporter reports its end and drops it.
    forget_relay(relay_id)
  end
end
return {records, last, #ids < budget and 1 or 0}

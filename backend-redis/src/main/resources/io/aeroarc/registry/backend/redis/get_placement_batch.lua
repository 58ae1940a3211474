-- ARGV: prefix, then agent ids. Independent lookups at one instant, each exactly as
-- get_placement.lua would answer it: one reply per id, {placement record, relay record} or nil.
-- A relay's record is built once per call however many of the agents are on it.
local now = now_ms()
local relays = {}
local replies = {}
for i = 2, #ARGV do
  local placement = visible_placement(ARGV[i], now)
  if not placement then
    replies[#replies + 1] = false
  else
    local relay = relays[placement[1]]
    if not relay then
      relay = relay_record(placement[1], read_relay(placement[1]), now)
      relays[placement[1]] = relay
    end
    replies[#replies + 1] = {placement_record(ARGV[i], placement), relay}
  end
end
return replies

-- ARGV: prefix, then agent ids. Returns the placement records of the visible ones.
local now = now_ms()
local records = {}
for i = 2, #ARGV do
  local placement = visible_placement(ARGV[i], now)
  if placement then records[#records + 1] = placement_record(ARGV[i], placement) end
end
return records

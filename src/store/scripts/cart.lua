-- Helpers for the cart scripts (cart_apply.lua, cart_merge.lua); placed in front of them at build
-- time (src/store/scripts.rs), so each stays one atomic EVALSHA.

-- The number of lines in a cart: its fields without ':' (SKUs never contain one).
local function count_lines(cart)
  local lines = 0
  for _, field in ipairs(redis.call('HKEYS', cart)) do
    if not string.find(field, ':', 1, true) then
      lines = lines + 1
    end
  end
  return lines
end

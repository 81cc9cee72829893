-- Helpers for the cart scripts (cart_apply.lua, cart_merge.lua); placed in front of them at build
-- time (src/store/scripts.rs), so each stays one atomic EVALSHA.
--
-- A cart is a hash with one field per line: <sku> = '<quantity>' or '<quantity> <payload JSON>'.
-- Nothing else lives in it, so HLEN is the number of lines and no operation reads more than the
-- line it changes.

-- The quantity and payload ('' for none) of a line as stored, or 0 and '' for no line.
local function read_line(cart, sku)
  local stored = redis.call('HGET', cart, sku)
  if not stored then
    return 0, ''
  end
  local quantity, payload = string.match(stored, '^(%d+) ?(.*)$')
  return tonumber(quantity) or 0, payload or ''
end

-- Stores a line with `quantity` and `payload` ('' for none).
local function write_line(cart, sku, quantity, payload)
  if payload == '' then
    redis.call('HSET', cart, sku, quantity)
  else
    redis.call('HSET', cart, sku, quantity .. ' ' .. payload)
  end
end

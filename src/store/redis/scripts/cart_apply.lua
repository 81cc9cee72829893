-- Applies one change to a cart line and refreshes the cart's time to live, within its limits.
-- A cart is a hash of lines (see cart.lua).
-- KEYS[1]  the cart
-- ARGV[1]  'add', 'set', 'decr' or 'remove'
-- ARGV[2]  '1' if the cart must already exist (a visitor's cart named by its cookie)
-- ARGV[3]  the cart's time to live, ms
-- ARGV[4]  most lines
-- ARGV[5]  largest quantity of a line
-- ARGV[6]  the SKU
-- ARGV[7]  the quantity
-- ARGV[8]  the line's new payload, or '' to keep its payload
-- Returns  the line's new quantity (0: removed); -1 no such cart; -2 too many lines;
--          -3 quantity over the limit. A refused change changes nothing.
local cart = KEYS[1]
if ARGV[2] == '1' and redis.call('EXISTS', cart) == 0 then
  return -1
end
local op, sku, n = ARGV[1], ARGV[6], tonumber(ARGV[7])
local current, payload = read_line(cart, sku)
local new
if op == 'add' then
  new = current + n
elseif op == 'set' then
  new = n
elseif op == 'decr' then
  new = current - n
else
  new = 0
end
if new > 0 then
  if new > tonumber(ARGV[5]) then
    return -3
  end
  if current == 0 and redis.call('HLEN', cart) >= tonumber(ARGV[4]) then
    return -2
  end
  if ARGV[8] ~= '' then
    payload = ARGV[8]
  end
  write_line(cart, sku, new, payload)
else
  new = 0
  redis.call('HDEL', cart, sku)
end
if redis.call('EXISTS', cart) == 1 then
  redis.call('PEXPIRE', cart, ARGV[3])
end
return new

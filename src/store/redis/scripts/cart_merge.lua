-- Merges a visitor's cart into a user's cart, once per visitor cart, so a retried login never
-- counts the same items twice. The marker that says so is a key of its own beside the user's
-- cart, expiring with the visitor cart: it costs nothing once the visitor cart is gone.
-- KEYS[1]  the user's cart (see cart.lua)
-- KEYS[2]  the marker of this visitor cart's merge (under the user's hash tag)
-- ARGV[1]  'sum', 'max' or 'replace'
-- ARGV[2]  the cart's time to live, ms
-- ARGV[3]  most lines (lines beyond it are dropped)
-- ARGV[4]  largest quantity of a line (larger ones are capped)
-- ARGV[5]  how long the visitor cart can still be merged, ms: the marker's time to live
-- ARGV[6..] the visitor's lines as triples: sku, quantity, payload or ''
-- Returns  1 when merged, 0 when this visitor cart was merged before.
local cart = KEYS[1]
if not redis.call('SET', KEYS[2], 1, 'NX', 'PX', ARGV[5]) then
  return 0
end
local policy = ARGV[1]
if policy == 'replace' then
  redis.call('DEL', cart)
end
local lines = redis.call('HLEN', cart)
local max_lines, max_quantity = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 6, #ARGV, 3 do
  local sku, n, payload = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local current, kept = read_line(cart, sku)
  local new
  if current == 0 then
    if lines < max_lines then
      lines = lines + 1
      new = n
    end
  elseif policy == 'max' then
    new = math.max(current, n)
  else
    new = current + n
  end
  if new then
    if payload == '' then
      payload = kept
    end
    write_line(cart, sku, math.min(new, max_quantity), payload)
  end
end
if redis.call('EXISTS', cart) == 1 then
  redis.call('PEXPIRE', cart, ARGV[2])
end
return 1

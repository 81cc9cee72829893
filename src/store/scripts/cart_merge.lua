-- Merges a visitor's cart into a user's cart, once per visitor cart (a marker field records it),
-- so a retried login never counts the same items twice.
-- KEYS[1]  the user's cart (see cart_apply.lua for its fields)
-- ARGV[1]  the marker field, 'm:<visitor cart storage id>'
-- ARGV[2]  'sum', 'max' or 'replace'
-- ARGV[3]  the cart's time to live, ms
-- ARGV[4]  most lines (lines beyond it are dropped)
-- ARGV[5]  largest quantity of a line (larger ones are capped)
-- ARGV[6..] the visitor's lines as triples: sku, quantity, payload or ''
-- Returns  1 when merged, 0 when this visitor cart was merged before.
local cart = KEYS[1]
if redis.call('HEXISTS', cart, ARGV[1]) == 1 then
  return 0
end
local policy = ARGV[2]
if policy == 'replace' then
  for _, field in ipairs(redis.call('HKEYS', cart)) do
    if string.sub(field, 1, 2) ~= 'm:' then
      redis.call('HDEL', cart, field)
    end
  end
end
local lines = count_lines(cart)
local max_lines, max_quantity = tonumber(ARGV[4]), tonumber(ARGV[5])
for i = 6, #ARGV, 3 do
  local sku, n, payload = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local current = tonumber(redis.call('HGET', cart, sku))
  local new
  if not current then
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
    redis.call('HSET', cart, sku, math.min(new, max_quantity))
    if payload ~= '' then
      redis.call('HSET', cart, 'p:' .. sku, payload)
    end
  end
end
redis.call('HSET', cart, ARGV[1], 1)
redis.call('PEXPIRE', cart, ARGV[3])
return 1

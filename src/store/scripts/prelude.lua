-- Helpers shared by the scripts; placed in front of each script at build time
-- (src/store/scripts.rs), so every script stays one atomic EVALSHA.

-- Applies a change encoded in ARGV from index `first`: a count n, then n field/value pairs to
-- set, then the fields to delete. Sent in chunks because unpack() has a stack limit.
local function apply_change(key, first)
  local chunk = 500
  local n = tonumber(ARGV[first])
  local pairs_end = first + 2 * n
  for i = first + 1, pairs_end, 2 * chunk do
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + 2 * chunk - 1, pairs_end)))
  end
  for i = pairs_end + 1, #ARGV, chunk do
    redis.call('HDEL', key, unpack(ARGV, i, math.min(i + chunk - 1, #ARGV)))
  end
end

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

-- Helpers shared by the scripts that touch a record; placed in front of each script at build time
-- (src/store/scripts.rs), so every script stays one atomic EVALSHA.

-- The server's clock, so every application server agrees on time: Unix milliseconds.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Lua numbers are doubles: print them as plain integers, never in exponent form.
local function int(n)
  return string.format('%.0f', n)
end

-- When a record created at `created` and touched at `now` expires: min(now + idle, created + absolute).
local function deadline(created, now, idle_ms, absolute_ms)
  return math.min(now + tonumber(idle_ms), created + tonumber(absolute_ms))
end

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

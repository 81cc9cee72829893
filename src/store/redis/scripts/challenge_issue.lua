-- Keeps a new device-binding challenge for one session (store/redis/challenge.rs).
-- KEYS[1]: the session's challenge hash: "c:<challenge>" -> deadline (Unix ms) per challenge,
--          "w" the end of the current issue window, "n" the challenges issued in it.
-- ARGV: challenge, its deadline, now, how many to keep, how many per window, window (ms).
-- Returns 1, or 0 (and keeps nothing) when the window's allowance is spent.
local key = KEYS[1]
local deadline = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local window_ends = tonumber(redis.call('HGET', key, 'w') or '0')
local issued = 0
if window_ends > now then
  issued = tonumber(redis.call('HGET', key, 'n') or '0')
else
  window_ends = now + tonumber(ARGV[6])
end
if issued >= tonumber(ARGV[5]) then
  return 0
end
local live = {}
local fields = redis.call('HGETALL', key)
for i = 1, #fields, 2 do
  local field = fields[i]
  if string.sub(field, 1, 2) == 'c:' then
    local until_ = tonumber(fields[i + 1])
    if until_ <= now then
      redis.call('HDEL', key, field)
    else
      live[#live + 1] = { until_, field }
    end
  end
end
table.sort(live, function(a, b) return a[1] < b[1] end)
local forget = #live + 1 - tonumber(ARGV[4])
local last = math.max(window_ends, deadline)
for i = 1, #live do
  if i <= forget then
    redis.call('HDEL', key, live[i][2])
  else
    last = math.max(last, live[i][1])
  end
end
redis.call('HSET', key, 'c:' .. ARGV[1], deadline, 'w', window_ends, 'n', issued + 1)
redis.call('PEXPIREAT', key, last)
return 1

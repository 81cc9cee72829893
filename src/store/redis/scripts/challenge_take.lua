-- Takes a device-binding challenge, once (store/redis/challenge.rs).
-- KEYS[1]: the session's challenge hash (see challenge_issue.lua). ARGV: challenge, now.
-- Returns 1 to the one caller that took a kept, unexpired challenge; 0 otherwise.
local field = 'c:' .. ARGV[1]
local deadline = redis.call('HGET', KEYS[1], field)
if not deadline then
  return 0
end
redis.call('HDEL', KEYS[1], field)
if tonumber(deadline) <= tonumber(ARGV[2]) then
  return 0
end
return 1

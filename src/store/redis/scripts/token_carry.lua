-- Sets what a remember-me token carries to the sessions it signs in, if the token still exists
-- (a field written to a missing key would create a hash with no expiry).
-- KEYS[1]  the token (see remember_rotate.lua for its fields)
-- ARGV[1]  the carried fields, JSON
-- Returns  1 when set; 0 when the token is gone
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'b', ARGV[1])
return 1

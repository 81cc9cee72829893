-- Stamps a remember-me token with a new sign-out generation, if the token still exists (a
-- field written to a missing key would create a hash with no expiry).
-- KEYS[1]  the token (see remember_rotate.lua for its fields)
-- ARGV[1]  the generation
-- Returns  1 when stamped; 0 when the token is gone
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'n', ARGV[1])
return 1

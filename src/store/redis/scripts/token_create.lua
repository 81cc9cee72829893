-- Stores a new remember-me token with its absolute deadline, in one step.
-- KEYS[1]  the token (see remember_rotate.lua for its fields)
-- ARGV[1]  user; ARGV[2] validator hash; ARGV[3] device JSON; ARGV[4] created, Unix ms;
-- ARGV[5]  the deadline, Unix ms; ARGV[6] its user's sign-out generation; ARGV[7] what it
--          carries to the sessions it signs in (JSON), or empty
-- Returns  1
redis.call('HSET', KEYS[1], 'u', ARGV[1], 'h', ARGV[2], 'd', ARGV[3], 'c', ARGV[4], 'x', ARGV[5],
  'n', ARGV[6])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'b', ARGV[7])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1

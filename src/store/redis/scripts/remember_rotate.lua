-- Rotates a remember-me token if its validator is still the one the caller saw, so that of
-- many parallel requests carrying the same cookie exactly one rotates.
-- KEYS[1]  the token (a hash: u user, h validator hash, p previous hash, g grace deadline,
--          e sealed cookies, d device, c created, x deadline, n sign-out generation,
--          b what it carries to the sessions it signs in)
-- ARGV[1]  the validator hash the caller saw
-- ARGV[2]  the new validator hash
-- ARGV[3]  until when (Unix ms) the previous validator is accepted
-- ARGV[4]  the sealed cookies of this rotation
-- Returns  1 when rotated; 0 when the token is gone; 2 when another rotation came first.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then
  return 2
end
redis.call('HSET', KEYS[1], 'p', ARGV[1], 'h', ARGV[2], 'g', ARGV[3], 'e', ARGV[4])
return 1

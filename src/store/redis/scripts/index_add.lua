-- Adds a member to a user's index (a sorted set scored by each member's absolute deadline: a
-- session's index, or a token index), drops the members already past their deadline, and
-- returns the user's sign-out generation, creating it if the user has none. The index and the
-- generation live as long as the longest-lived member stamped with it.
-- KEYS[1]  the index
-- KEYS[2]  the user's sign-out generation (a string)
-- ARGV[1]  now, Unix ms
-- ARGV[2]  the member (a session's handle, or a token's selector)
-- ARGV[3]  its score: its deadline, plus one half while the session is pending
-- ARGV[4]  its deadline, Unix ms
-- ARGV[5]  the generation to create if the user has none
-- Returns  the user's generation
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
local generation = redis.call('GET', KEYS[2])
if not generation then
  generation = ARGV[5]
  redis.call('SET', KEYS[2], generation, 'PXAT', ARGV[4])
end
for _, key in ipairs(KEYS) do
  local ttl = redis.call('PTTL', key)
  if ttl < 0 or tonumber(ARGV[1]) + ttl < tonumber(ARGV[4]) then
    redis.call('PEXPIREAT', key, ARGV[4])
  end
end
return generation

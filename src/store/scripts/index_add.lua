-- Adds a session to a user's index (a sorted set scored by each session's absolute deadline),
-- drops the entry it replaces and the entries already past their deadline, and keeps the index
-- itself alive as long as its longest-lived entry.
-- KEYS[1]  the user's index
-- ARGV[1]  now, Unix ms
-- ARGV[2]  the session's handle
-- ARGV[3]  its absolute deadline, Unix ms
-- ARGV[4]  the handle it replaces, or ''
-- Returns  1
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if ARGV[4] ~= '' then
  redis.call('ZREM', KEYS[1], ARGV[4])
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or tonumber(ARGV[1]) + ttl < tonumber(ARGV[3]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
return 1

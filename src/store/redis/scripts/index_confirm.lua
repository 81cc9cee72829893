-- Confirms a pending session in a user's index once its record is written: only if no sign-out
-- of the user has replaced the generation the session was born under, and no sign-out or
-- revocation has removed its entry (or, for a renamed session, the entry of its old name)
-- meanwhile. Otherwise the entry goes, and the caller deletes the record.
-- KEYS[1]  the user's index of sessions
-- KEYS[2]  the user's sign-out generation
-- ARGV[1]  the session's handle
-- ARGV[2]  its absolute deadline, Unix ms (its score once confirmed)
-- ARGV[3]  the generation it was born under
-- ARGV[4]  the handle it was renamed from, or ''
-- Returns  1 when confirmed (and the old name's entry removed); 0 when the session must not exist
local renamed = ARGV[4] ~= ''
if redis.call('GET', KEYS[2]) ~= ARGV[3] or not redis.call('ZSCORE', KEYS[1], ARGV[1])
    or (renamed and not redis.call('ZSCORE', KEYS[1], ARGV[4])) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if renamed then
  redis.call('ZREM', KEYS[1], ARGV[4])
end
return 1

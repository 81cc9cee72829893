-- Creates a session record, or applies a change to an existing one; slides its expiry.
-- An update never recreates a record that was deleted or has expired.
-- KEYS[1]  the session record (a hash)
-- ARGV[1]  'create' or 'update'
-- ARGV[2]  idle timeout, ms
-- ARGV[3]  absolute lifetime, ms
-- ARGV[4]  n, the number of fields to set; then n field/value pairs; then fields to delete
-- Returns  the new expiry in ms when written; 0 when the record is gone (update);
--          -1 when the ID is already taken (create).
local now = now_ms()
local created
if ARGV[1] == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    return -1
  end
  created = now
  redis.call('HSET', KEYS[1], '$c', int(now))
else
  created = tonumber(redis.call('HGET', KEYS[1], '$c'))
  if not created then
    return 0
  end
end
local expires = deadline(created, now, ARGV[2], ARGV[3])
if expires <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
apply_change(KEYS[1], 4)
redis.call('PEXPIREAT', KEYS[1], int(expires))
return expires

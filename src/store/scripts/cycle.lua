-- Moves a session record to a new ID and applies a change; slides its expiry. The old name stops
-- working in the same atomic step in which the new one starts. Creation time is kept.
-- KEYS[1]  the current record
-- KEYS[2]  its new name
-- ARGV[1]  idle timeout, ms
-- ARGV[2]  absolute lifetime, ms
-- ARGV[3]  n, the number of fields to set; then n field/value pairs; then fields to delete
-- Returns  the new expiry in ms; 0 when the current record is gone; -1 when the new name is taken.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
local created = tonumber(redis.call('HGET', KEYS[1], '$c'))
if not created then
  return 0
end
local now = now_ms()
local expires = deadline(created, now, ARGV[1], ARGV[2])
if expires <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('RENAME', KEYS[1], KEYS[2])
apply_change(KEYS[2], 3)
redis.call('PEXPIREAT', KEYS[2], int(expires))
return expires

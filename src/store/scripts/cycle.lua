-- Moves a session record to a new ID, applies a change and sets its expiry. The old name stops
-- working in the same atomic step in which the new one starts.
-- KEYS[1]  the current record
-- KEYS[2]  its new name
-- ARGV[1]  the record's new deadline, Unix ms (becomes its PEXPIREAT)
-- ARGV[2]  n, the number of fields to set; then n field/value pairs; then fields to delete
-- Returns  1 when moved; 0 when the current record is gone; -1 when the new name is taken.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('RENAME', KEYS[1], KEYS[2])
apply_change(KEYS[2], 2)
redis.call('PEXPIREAT', KEYS[2], ARGV[1])
return 1

-- Creates a session record, or applies a change to an existing one, and sets its expiry.
-- An update never recreates a record that was deleted or has expired.
-- KEYS[1]  the session record (a hash)
-- ARGV[1]  'create' or 'update'
-- ARGV[2]  the record's new deadline, Unix ms (becomes its PEXPIREAT)
-- ARGV[3]  n, the number of fields to set; then n field/value pairs; then fields to delete
-- Returns  1 when written; 0 when the record is gone (update); -1 when the ID is taken (create).
local exists = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[1] == 'create' then
  if exists then
    return -1
  end
elseif not exists then
  return 0
end
apply_change(KEYS[1], 3)
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1

-- Moves a session record to a new name with a change applied, within the session's caps, in one
-- atomic step: the old name stops working as the new one starts.
-- KEYS[1]  the record's current name
-- KEYS[2]  its new name
-- ARGV[1]  the change, encoded as the record stores it
-- ARGV[2]  compact once the record is longer than this, in bytes
-- ARGV[3]  the record's new deadline, Unix ms
-- ARGV[4]  most bytes of user keys and values
-- ARGV[5]  most user keys
-- Returns  STORED when moved; GONE when the record is gone; ID_TAKEN when the new name is taken;
--          MALFORMED, TOO_MANY_KEYS, or {TOO_LARGE, size} (nothing moved); see record.lua.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return ID_TAKEN
end
local record = redis.call('GET', KEYS[1])
if not record then
  return GONE
end
local refusal
record, refusal = add_change(record, ARGV[1], ARGV[2], ARGV[4], ARGV[5])
if not record then
  return refusal
end
redis.call('SET', KEYS[2], record, 'PXAT', ARGV[3])
redis.call('DEL', KEYS[1])
return STORED

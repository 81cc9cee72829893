-- Moves a session record to a new name with a change applied, in one atomic step: the old name
-- stops working as the new one starts.
-- KEYS[1]  the record's current name
-- KEYS[2]  its new name
-- ARGV[1]  the change, encoded as the record stores it
-- ARGV[2]  compact once the record is longer than this, in bytes
-- ARGV[3]  the record's new deadline, Unix ms
-- Returns  1 when moved; 0 when the record is gone; -1 when the new name is taken;
--          -2 when the record is malformed (nothing moved).
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
local record = redis.call('GET', KEYS[1])
if not record then
  return 0
end
record = add_change(record, ARGV[1], ARGV[2])
if not record then
  return -2
end
redis.call('SET', KEYS[2], record, 'PXAT', ARGV[3])
redis.call('DEL', KEYS[1])
return 1

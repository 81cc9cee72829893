-- Appends a change to a session record that still exists and sets its expiry; compacts the
-- record once it has grown past a threshold. An update never recreates a record that was
-- deleted or has expired.
-- KEYS[1]  the session record (a string, see prelude.lua)
-- ARGV[1]  the record's new deadline, Unix ms
-- ARGV[2]  the change, encoded as the record stores it
-- ARGV[3]  compact once the record is longer than this, in bytes
-- Returns  1 when written; 0 when the record is gone; -2 when it is malformed (the change is
--          appended, the rest left as found).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local length = redis.call('APPEND', KEYS[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
if length > tonumber(ARGV[3]) then
  local record = compact(redis.call('GET', KEYS[1]))
  if not record then
    return -2
  end
  redis.call('SET', KEYS[1], record, 'KEEPTTL')
end
return 1

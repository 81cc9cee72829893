-- Appends a change to a session record that still exists, sets its expiry if asked, and compacts
-- the record once it has grown past a threshold. An update never recreates a record that was
-- deleted or has expired.
-- KEYS[1]  the session record (a string, see record.lua)
-- ARGV[1]  the change, encoded as the record stores it
-- ARGV[2]  compact once the record is longer than this, in bytes
-- ARGV[3]  the record's new deadline, Unix ms; absent to keep its expiry
-- Returns  1 when written; 0 when the record is gone; -2 when it is malformed (the change is
--          appended, the rest left as found).
local length = redis.call('APPEND', KEYS[1], ARGV[1])
if length == #ARGV[1] then
  -- A record is never empty, so the APPEND created the key: the record is gone. Deleting it in
  -- the same script means nobody ever sees it (checking first would cost every update a call).
  redis.call('DEL', KEYS[1])
  return 0
end
if ARGV[3] then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
if length > tonumber(ARGV[2]) then
  local record = compact(redis.call('GET', KEYS[1]))
  if not record then
    return -2
  end
  redis.call('SET', KEYS[1], record, 'KEEPTTL')
end
return 1

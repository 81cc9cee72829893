-- Writes a change to a session record that still exists, within the session's caps, sets its
-- expiry if asked, and keeps the record compact. An update never recreates a record that was
-- deleted or has expired.
-- KEYS[1]  the session record (a string, see record.lua)
-- ARGV[1]  the change, encoded as the record stores it
-- ARGV[2]  compact once the record is longer than this, in bytes
-- ARGV[3]  the record's new deadline, Unix ms, or '' to keep its expiry
-- ARGV[4]  most bytes of user keys and values
-- ARGV[5]  most user keys
-- ARGV[6]  (when compaction is due) the record as the writer loaded it
-- ARGV[7]  (when compaction is due) that record with the change applied, compacted
-- Returns  STORED when written; GONE when the record is gone; MALFORMED, TOO_MANY_KEYS, or
--          {TOO_LARGE, size} (left as found); see record.lua.
--
-- The record is rewritten with SET, never grown with APPEND: Redis doubles the allocation of a
-- string that APPEND grows, which would nearly double the memory of every session written once.
local record = redis.call('GET', KEYS[1])
if not record then
  return GONE
end
if ARGV[6] and record == ARGV[6] then
  -- Unchanged since the writer loaded it: the writer's compaction, and its caps, are exact.
  record = ARGV[7]
else
  -- Changed meanwhile by another request (or never loaded): the change goes on the end, and
  -- the caps are checked against the record as stored.
  local refusal
  record, refusal = add_change(record, ARGV[1], ARGV[2], ARGV[4], ARGV[5])
  if not record then
    return refusal
  end
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], record, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], record, 'PXAT', ARGV[3])
end
return STORED

-- Writes a change to a session record that still exists, sets its expiry if asked, and keeps the
-- record compact. An update never recreates a record that was deleted or has expired.
-- KEYS[1]  the session record (a string, see record.lua)
-- ARGV[1]  the change, encoded as the record stores it
-- ARGV[2]  compact once the record is longer than this, in bytes
-- ARGV[3]  the record's new deadline, Unix ms, or '' to keep its expiry
-- ARGV[4]  (when compaction is due) the record as the writer loaded it
-- ARGV[5]  (when compaction is due) that record with the change applied, compacted
-- Returns  1 when written; 0 when the record is gone; -2 when it is malformed (left as found).
--
-- The record is rewritten with SET, never grown with APPEND: Redis doubles the allocation of a
-- string that APPEND grows, which would nearly double the memory of every session written once.
local record = redis.call('GET', KEYS[1])
if not record then
  return 0
end
if ARGV[4] and record == ARGV[4] then
  -- Unchanged since the writer loaded it: the writer's compaction is exact.
  record = ARGV[5]
else
  -- Changed meanwhile by another request (or never loaded): the change goes on the end.
  record = add_change(record, ARGV[1], ARGV[2])
  if not record then
    return -2
  end
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], record, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], record, 'PXAT', ARGV[3])
end
return 1

-- Loads a session record and slides its expiry, in one step.
-- KEYS[1]  the session record (a hash)
-- ARGV[1]  idle timeout, ms
-- ARGV[2]  absolute lifetime, ms
-- Returns  false when there is no live record (one past its absolute deadline is deleted);
--          -1 when the key is not a hash or has no valid creation time (corrupt);
--          otherwise {created_ms, expires_ms, field1, value1, field2, value2, ...}.
local created = redis.pcall('HGET', KEYS[1], '$c')
if type(created) == 'table' and created.err then
  return -1
end
if not created then
  return false
end
created = tonumber(created)
if not created then
  return -1
end
local now = now_ms()
local expires = deadline(created, now, ARGV[1], ARGV[2])
if expires <= now then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('PEXPIREAT', KEYS[1], int(expires))
local reply = { created, expires }
for i, v in ipairs(redis.call('HGETALL', KEYS[1])) do
  reply[i + 2] = v
end
return reply

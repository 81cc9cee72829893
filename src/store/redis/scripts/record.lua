-- Helpers for the scripts that rewrite session records (update.lua, cycle.lua); placed in front
-- of them at build time (src/store/scripts.rs), so each stays one atomic EVALSHA.

-- A session record is one string: its fields, each name once, then appended changes, each a '|'
-- followed by fields, where an empty value removes the field. A field is two items, name and
-- value, each <length>:<bytes> with the length in bytes (src/store/redis/record/mod.rs). Names
-- starting with a single '$' are the crate's metadata; '$$' starts a user key that itself
-- starts with '$'.

-- The replies of update.lua and cycle.lua, as `Reply` in src/store/redis/write.rs names them
-- (a unit test there checks that both sides agree).
local STORED, GONE, ID_TAKEN, MALFORMED, TOO_MANY_KEYS, TOO_LARGE = 1, 0, -1, -2, -3, -4

-- Redis runs this file's top level on every call, and every function defined there is a new
-- closure, which costs Redis about 700 instructions with its garbage collection (callgrind). So
-- only add_change is defined here; what it seldom needs is defined inside it.

-- The record with a change added to its end, within the session's caps: `max_bytes` bytes of
-- user keys and values, `max_keys` user keys. Once that makes it longer than `threshold` bytes,
-- it is compacted: its live fields, each once, in the order they first appeared. When it is
-- not to be written, returns nil and the script's reply: MALFORMED, TOO_MANY_KEYS when the
-- change would take it past `max_keys` keys and {TOO_LARGE, size} past `max_bytes` (only a
-- change that grows the record is refused: one that shrinks a record over a lowered cap is
-- written).
local function add_change(record, change, threshold, max_bytes, max_keys)
  local updated = record .. change
  local length = #updated
  -- A user field takes at least five bytes, and its key and value at most its own length, so
  -- a record this short is within the caps without reading it.
  local within = length <= tonumber(max_bytes) and length <= 5 * tonumber(max_keys)
  if within and length <= tonumber(threshold) then
    return updated
  end

  -- Reads one <length>:<bytes> item of `text` at byte `at`; returns it and where the next one
  -- starts, or nil if the text is malformed there.
  local function read_item(text, at)
    local digits = string.match(text, '^(%d+):', at)
    if not digits then
      return nil
    end
    local start = at + #digits + 1
    local stop = start + tonumber(digits) - 1
    if stop > #text then
      return nil
    end
    return string.sub(text, start, stop), stop + 1
  end

  -- Applies the fields of `text` (a record, or appended changes) to `values`, noting new names
  -- in `names`; false if it is malformed.
  local function apply(text, values, names)
    local at = 1
    while at <= #text do
      if string.byte(text, at) == 124 then -- '|': an appended change starts
        at = at + 1
      else
        local name, value
        name, at = read_item(text, at)
        if not name then
          return false
        end
        value, at = read_item(text, at)
        if not value then
          return false
        end
        if values[name] == nil then
          names[#names + 1] = name
        end
        values[name] = value
      end
    end
    return true
  end

  -- The bytes of user keys and values, and the number of user keys, among live `values`.
  local function measure(names, values)
    local bytes, keys = 0, 0
    for _, name in ipairs(names) do
      local value = values[name]
      if value ~= '' and string.byte(name, 1) ~= 36 then -- not '$': a user key
        bytes, keys = bytes + #name + #value, keys + 1
      elseif value ~= '' and string.byte(name, 2) == 36 then -- '$$': an escaped user key
        bytes, keys = bytes + #name - 1 + #value, keys + 1
      end
    end
    return bytes, keys
  end

  local names, values = {}, {}
  if not apply(record, values, names) then
    return nil, MALFORMED
  end
  if not within then
    local bytes_before, keys_before = measure(names, values)
    if not apply(change, values, names) then
      return nil, MALFORMED
    end
    local bytes, keys = measure(names, values)
    if keys > tonumber(max_keys) and keys > keys_before then
      return nil, TOO_MANY_KEYS
    end
    if bytes > tonumber(max_bytes) and bytes > bytes_before then
      return nil, {TOO_LARGE, bytes}
    end
  elseif not apply(change, values, names) then
    return nil, MALFORMED
  end
  if length <= tonumber(threshold) then
    return updated
  end
  local parts = {}
  for _, name in ipairs(names) do
    local value = values[name]
    if value ~= '' then
      parts[#parts + 1] = #name .. ':' .. name .. #value .. ':' .. value
    end
  end
  return table.concat(parts)
end

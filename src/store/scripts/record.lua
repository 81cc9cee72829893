-- Helpers for the scripts that rewrite session records (update.lua, cycle.lua); placed in front
-- of them at build time (src/store/scripts.rs), so each stays one atomic EVALSHA.

-- A session record is one string: its fields, each name once, then appended changes, each a '|'
-- followed by fields, where an empty value removes the field. A field is two items, name and
-- value, each <length>:<bytes> with the length in bytes (src/store/redis/record.rs).

-- Redis runs this file's top level on every call, and every function defined there is a new
-- closure, which costs Redis about 700 instructions with its garbage collection (callgrind). So
-- only add_change is defined here; the compaction it seldom needs is defined inside it.

-- The record with a change added to its end. Once that makes it longer than `threshold` bytes,
-- it is compacted: its live fields, each once, in the order they first appeared. nil if it is
-- malformed.
local function add_change(record, change, threshold)
  record = record .. change
  if #record <= tonumber(threshold) then
    return record
  end

  -- Reads one <length>:<bytes> item at byte `at`; returns it and where the next one starts,
  -- or nil if the record is malformed there.
  local function read_item(at)
    local digits = string.match(record, '^(%d+):', at)
    if not digits then
      return nil
    end
    local start = at + #digits + 1
    local stop = start + tonumber(digits) - 1
    if stop > #record then
      return nil
    end
    return string.sub(record, start, stop), stop + 1
  end

  local names, values = {}, {}
  local at = 1
  while at <= #record do
    if string.byte(record, at) == 124 then -- '|': an appended change starts
      at = at + 1
    else
      local name, value
      name, at = read_item(at)
      if not name then
        return nil
      end
      value, at = read_item(at)
      if not value then
        return nil
      end
      if values[name] == nil then
        names[#names + 1] = name
      end
      values[name] = value
    end
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

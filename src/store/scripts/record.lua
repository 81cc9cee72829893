-- Helpers for the scripts that rewrite session records (update.lua, cycle.lua); placed in front
-- of them at build time (src/store/scripts.rs), so each stays one atomic EVALSHA.

-- A session record is one string: its fields, each name once, then appended changes, each a '|'
-- followed by fields, where an empty value removes the field. A field is two items, name and
-- value, each <length>:<bytes> with the length in bytes (src/store/redis/record.rs).

-- Reads one <length>:<bytes> item at byte `at`; returns it and where the next one starts, or
-- nil if the record is malformed there.
local function read_item(record, at)
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

-- The record with its appended changes applied: its live fields, each once, in the order they
-- first appeared. nil if the record is malformed.
local function compact(record)
  local names, values = {}, {}
  local at = 1
  while at <= #record do
    if string.byte(record, at) == 124 then -- '|': an appended change starts
      at = at + 1
    else
      local name, value
      name, at = read_item(record, at)
      if not name then
        return nil
      end
      value, at = read_item(record, at)
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

-- The record with a change added to its end, compacted if that makes it longer than
-- `threshold` bytes; nil if it is malformed.
local function add_change(record, change, threshold)
  record = record .. change
  if #record > tonumber(threshold) then
    return compact(record)
  end
  return record
end

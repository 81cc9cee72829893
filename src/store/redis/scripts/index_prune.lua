-- Removes the entries of sessions found gone from a user's index, unless a session of the user
-- is being created or renamed (an entry is pending: its score has a fraction). A renamed
-- session has no record under its old name until its rename is confirmed; pruning that name
-- then would make the confirmation fail and sign the session out.
-- KEYS[1]  the user's index of sessions
-- ARGV     the handles to remove
-- Returns  how many were removed
local scores = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 2, #scores, 2 do
  local score = tonumber(scores[i])
  if score ~= math.floor(score) then
    return 0
  end
end
if #ARGV == 0 then
  return 0
end
return redis.call('ZREM', KEYS[1], unpack(ARGV))

-- pending_page: one page of a user's pending interrupt ids, newest first, after an optional cursor.
-- KEYS: 1 user pending zset (score = createdAt ms, member = id)
-- ARGV: 1 cursor score ('+inf' for the first page), 2 cursor id ('' for the first page), 3 limit
-- Returns: flat list {id1, score1, id2, score2, ...} of at most limit + 1 entries (the extra one says "more").
local want = tonumber(ARGV[3]) + 1
local out, offset, batch = {}, 0, want + 16
while true do
  local rows = redis.call('ZRANGE', KEYS[1], ARGV[1], '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES')
  if #rows == 0 then return out end
  for i = 1, #rows, 2 do
    -- same-score members come in descending id order; skip up to and including the cursor
    if ARGV[2] == '' or rows[i + 1] ~= ARGV[1] or rows[i] < ARGV[2] then
      out[#out + 1] = rows[i]
      out[#out + 1] = rows[i + 1]
      if #out >= want * 2 then return out end
    end
  end
  offset = offset + batch
end

-- Paging helper, prepended to the scripts that page a sorted set of ids newest first.

-- Up to `want` {id, score} pairs of zset `key` (score = ms), newest first, strictly after the cursor
-- (score `from` with ids below `after`; from '+inf' and after '' for the first page), as a flat list.
local function page(key, from, after, want)
  local out, offset, batch = {}, 0, want + 16
  while true do
    local rows = redis.call('ZRANGE', key, from, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, batch, 'WITHSCORES')
    if #rows == 0 then return out end
    for i = 1, #rows, 2 do
      -- same-score members come in descending id order; skip up to and including the cursor
      if after == '' or rows[i + 1] ~= from or rows[i] < after then
        out[#out + 1] = rows[i]
        out[#out + 1] = rows[i + 1]
        if #out >= want * 2 then return out end
      end
    end
    offset = offset + batch
  end
end

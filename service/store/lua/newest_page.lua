-- newest_page: one page of ids from a zset scored by time, newest first, after an optional cursor.
-- KEYS: 1 the zset (score = ms, member = id)
-- ARGV: 1 cursor score ('+inf' for the first page), 2 cursor id ('' for the first page), 3 limit
-- Returns: flat list {id1, score1, id2, score2, ...} of at most limit + 1 entries (the extra one says "more").
return page(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]) + 1)

-- pending_read: a page of a user's pending interrupts and their hashes, in one call.
-- The hash keys are derived from the ids: a user's interrupts are in the user's partition (keys.py).
-- KEYS: 1 user pending zset (score = createdAt ms, member = id)
-- ARGV: 1 cursor score, 2 cursor id (as newest_page), 3 limit, 4 the partition's key prefix (keys.base: 'interlock:{<tag>}:')
-- Returns: {page, fields1, fields2, ...}: the page as newest_page returns it (at most limit + 1
-- entries), then the flat field/value list of each of its first `limit` ids (empty when gone).
local limit = tonumber(ARGV[3])
local ids = page(KEYS[1], ARGV[1], ARGV[2], limit + 1)
local out = {ids}
for i = 1, math.min(#ids / 2, limit) do
  out[#out + 1] = redis.call('HGETALL', ARGV[4] .. ids[2 * i - 1] .. ':i')
end
return out

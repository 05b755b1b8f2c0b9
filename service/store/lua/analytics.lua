-- analytics: a user's counters and top five actions (count descending, then action ascending).
-- KEYS: 1 user stats hash, 2 user actions zset
-- ARGV: none
-- Returns: {stats (flat field/value list), top (flat action/count list)}
local stats = redis.call('HGETALL', KEYS[1])
local fifth = redis.call('ZREVRANGE', KEYS[2], 4, 4, 'WITHSCORES')
local top
if #fifth == 0 then
  top = redis.call('ZREVRANGE', KEYS[2], 0, -1, 'WITHSCORES')
else
  top = redis.call('ZRANGE', KEYS[2], '+inf', '(' .. fifth[2], 'BYSCORE', 'REV', 'WITHSCORES')
  local ties = redis.call('ZRANGE', KEYS[2], fifth[2], fifth[2], 'BYSCORE', 'LIMIT', 0, 5 - #top / 2, 'WITHSCORES')
  for i = 1, #ties do top[#top + 1] = ties[i] end
end
return {stats, top}

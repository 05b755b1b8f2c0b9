-- loop_mark: record a participant's invitation state, unless the loop is gone (never re-create it).
-- KEYS: 1 loop hash
-- ARGV: 1 participant index, 2 state (pending|sent|retrying|failed|skipped), 3 attempts so far
-- Returns: 1 when recorded, 0 when the loop no longer exists
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'm' .. ARGV[1], ARGV[2], 'mn' .. ARGV[1], ARGV[3])
return 1

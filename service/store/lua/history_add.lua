-- history_add: append one event that is not a transition (a review link minted, a review mail's
-- attempt) to an interrupt's history, kept as long as the interrupt, and optionally set one of the
-- interrupt's bookkeeping fields (a mailing's state) in the same step.
-- KEYS: 1 hash, 2 history list
-- ARGV: 1 the event (JSON), 2 hash field to set ('' = none), 3 its value
-- Returns: 1 | 0 when the interrupt is gone (nothing written)
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'h', 1)  -- so a page reads the list only when it holds something
redis.call('PEXPIRE', KEYS[2], ttl)
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
return 1

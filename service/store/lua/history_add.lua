-- history_add: append one event (a review link minted or mailed) to an interrupt's history, kept as
-- long as the interrupt itself.
-- KEYS: 1 hash, 2 history list
-- ARGV: 1 the event (JSON)
-- Returns: 1 | 0 when the interrupt is gone (nothing written)
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1

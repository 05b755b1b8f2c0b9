-- read_many: the fields of several interrupt hashes in one call (one reply instead of a pipeline of N).
-- KEYS: the interrupt hashes to read
-- ARGV: none
-- Returns: one flat field/value list per key, in KEYS order (empty for a key that no longer exists)
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGETALL', KEYS[i]) end
return out

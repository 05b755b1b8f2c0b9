-- keep_alive: give a long-lived index key (a user's pending set, counters, top actions) the TTL `ttl`
-- (ms) unless it already has more than `ttl - a day` left. PTTL is a read, so the expiry is rewritten
-- (and written to the AOF) about once a day per key instead of at every transition; the store sets
-- `ttl` a day above what the key must outlive, so it never expires early.
local function keep_alive(key, ttl)
  if redis.call('PTTL', key) < ttl - 86400000 then redis.call('PEXPIRE', key, ttl) end
end

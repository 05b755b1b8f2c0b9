-- watch: a process is about to wait on these keys: keep each marker (keys.watched) alive for at least
-- ARGV[1] ms, never shortening a longer wait of another process. Transitions publish only while it exists.
-- KEYS: the marker keys. ARGV: 1 ttl ms. Returns the number of markers set or extended.
local ttl, changed = tonumber(ARGV[1]), 0
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < ttl then
    redis.call('SET', key, '1', 'PX', ttl)
    changed = changed + 1
  end
end
return changed

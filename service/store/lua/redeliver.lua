-- redeliver: queue one more attempt of an interrupt's webhook, at most once per gap.
-- KEYS: 1 the interrupt's redelivery limit key, 2 outbox
-- ARGV: 1 id, 2 version, 3 gap ms
-- Returns: 0 when queued | the ms until another redelivery may be queued
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'v', ARGV[2], 'r', '1')
  return 0
end
return math.max(redis.call('PTTL', KEYS[1]), 1)

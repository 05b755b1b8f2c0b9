-- expire: turn a pending interrupt whose deadline has passed into `expired` (the worker's transition).
-- KEYS: 1 hash, 2 event list, 3 user pending zset, 4 user stats, 5 deadlines, 6 deadline ttl key, 7 outbox,
--       8 service metrics, 9 watched marker
-- ARGV: 1 id, 2 userId, 3 now ms, 4 retention ms, 5 user-key ttl ms, 6 channel
-- Returns: {'ok', 'expired', v} | {'notdue'} | {'conflict', status, ...} | {'missing'}
local k = {KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]}
local id, now = ARGV[1], tonumber(ARGV[3])
if check_user(k[1], ARGV[2]) == 'missing' then
  redis.call('ZREM', k[5], id)
  return {'missing'}
end
if expire_if_due(k, id, now, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]) then
  return {'ok', 'expired', redis.call('HGET', k[1], 'v')}
end
if redis.call('HGET', k[1], 'status') == 'pending' then return {'notdue'} end
return current(k[1])

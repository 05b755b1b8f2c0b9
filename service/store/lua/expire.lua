-- expire: end a pending interrupt whose deadline has passed: `expired`, or its onTimeout decision (the worker's).
-- KEYS: 1 hash, 2 event list, 3 deadlines, 4 deadline ttl key, 5 outbox, 6 service metrics, 7 watched marker
-- ARGV: 1 id, 2 user key prefix, 3 now ms, 4 retention ms, 5 user-key ttl ms, 6 channel
-- Returns: {'ok', status, v} | {'notdue'} | {'conflict', status, ...} | {'missing'}
local id, now = ARGV[1], tonumber(ARGV[3])
local k = transition_keys(ARGV[2])
if not k then
  redis.call('ZREM', KEYS[3], id)
  return {'missing'}
end
local ended = expire_if_due(k, id, now, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
if ended then return {'ok', ended, redis.call('HGET', k[1], 'v')} end
if redis.call('HGET', k[1], 'status') == 'pending' then return {'notdue'} end
return current(k[1])

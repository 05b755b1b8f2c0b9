-- loop_expire: time out the open promises of a pending loop past its deadline (the worker's transition).
-- KEYS: 1 loop hash, 2 loop deadlines, 3 outbox, 4 watched marker
-- ARGV: 1 loopId, 2 now ms, 3 retention ms, 4 channel
-- Returns: {'ok'} when this call ended the loop | {'notdue'} | {'missing'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {'missing'}
end
if loop_expire_if_due({KEYS[1], KEYS[2], KEYS[3], KEYS[4]}, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]) then return {'ok'} end
return {'notdue'}

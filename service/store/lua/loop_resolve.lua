-- loop_resolve: one participant accepts or rejects; the loop ends as soon as its outcome is certain.
-- KEYS: 1 loop hash, 2 loop deadlines, 3 outbox
-- ARGV: 1 loopId, 2 participant index, 3 accept ('1'/'0'), 4 now ms, 5 retention ms, 6 channel
-- Returns: {'ok', loop status} | {'same', loop status} | {'conflict', why, earlier accept, loop status}
--          | {'missing'}   (why: resolved, timedout, ended)
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local k = {KEYS[1], KEYS[2], KEYS[3]}
local id, i, accept, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
loop_expire_if_due(k, id, now, tonumber(ARGV[5]), ARGV[6])
local f = redis.call('HMGET', k[1], 's' .. i, 'a' .. i, 'status', 'k', 'n', 'acc', 'ref')
if f[1] == 'RESOLVED' then
  if f[2] == accept then return {'same', f[3]} end
  return {'conflict', 'resolved', f[2], f[3]}
end
if f[1] == 'REJECTED_TIMEDOUT' then return {'conflict', 'timedout', f[2], f[3]} end
if f[1] ~= 'PENDING' then return {'conflict', 'ended', '', f[3]} end
local acc, ref = tonumber(f[6]), tonumber(f[7])
if accept == '1' then acc = acc + 1 else ref = ref + 1 end
redis.call('HSET', k[1], 's' .. i, 'RESOLVED', 'a' .. i, accept, 'd' .. i, now, 'acc', acc, 'ref', ref)
redis.call('HINCRBY', k[1], 'v', 1)
local need, n = tonumber(f[4]), tonumber(f[5])
local status = 'PENDING'
if acc >= need then status = 'ACCEPTED' elseif acc + (n - acc - ref) < need then status = 'REJECTED' end
if status ~= 'PENDING' then
  loop_finish(k, id, status, accept == '1' and 'accepted' or 'rejected', now, tonumber(ARGV[5]))
end
redis.call('PUBLISH', ARGV[6], status)
return {'ok', status}

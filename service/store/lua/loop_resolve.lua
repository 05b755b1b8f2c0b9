-- loop_resolve: one participant accepts or rejects; the loop ends as soon as its outcome is certain.
-- The promise key names the loop and the participant, so one call finds and resolves them: the loop
-- hash, its channel and its watched marker are derived here (the promise is in the loop's partition:
-- the same slot). One HMGET reads all it needs; the version is bumped in the same HSET.
-- KEYS: 1 promise key, 2 loop deadlines, 3 outbox
-- ARGV: 1 accept ('1'/'0'), 2 now ms, 3 retention ms, 4 the partition's key prefix (keys.base: 'interlock:{<tag>}:')
-- Returns: {'ok', loop status, loopId} | {'same', loop status, loopId}
--          | {'conflict', why, earlier accept, loop status, loopId} | {'missing'}   (why: resolved, timedout, ended)
local found = redis.call('GET', KEYS[1])
if not found then return {'missing'} end
local space = string.find(found, ' ', 1, true)
local id, i = string.sub(found, 1, space - 1), string.sub(found, space + 1)
local channel = ARGV[4] .. id .. ':ch'
local k = {ARGV[4] .. id .. ':loop', KEYS[2], KEYS[3], ARGV[4] .. id .. ':watched'}
local accept, now = ARGV[1], tonumber(ARGV[2])
local fields = {'s' .. i, 'a' .. i, 'status', 'k', 'n', 'acc', 'ref', 'v', 'deadline'}
local f = redis.call('HMGET', k[1], unpack(fields))
if not f[3] then return {'missing'} end
if f[3] == 'PENDING' and now >= tonumber(f[9]) then  -- past its deadline: time it out first, then read again
  loop_expire_if_due(k, id, now, tonumber(ARGV[3]), channel)
  f = redis.call('HMGET', k[1], unpack(fields))
end
if f[1] == 'RESOLVED' then
  if f[2] == accept then return {'same', f[3], id} end
  return {'conflict', 'resolved', f[2], f[3], id}
end
if f[1] == 'REJECTED_TIMEDOUT' then return {'conflict', 'timedout', f[2], f[3], id} end
if f[1] ~= 'PENDING' then return {'conflict', 'ended', '', f[3], id} end
local acc, ref = tonumber(f[6]), tonumber(f[7])
if accept == '1' then acc = acc + 1 else ref = ref + 1 end
redis.call('HSET', k[1], 's' .. i, 'RESOLVED', 'a' .. i, accept, 'd' .. i, now, 'acc', acc, 'ref', ref, 'v', tonumber(f[8]) + 1)
local need, n = tonumber(f[4]), tonumber(f[5])
local status = 'PENDING'
if acc >= need then status = 'ACCEPTED' elseif acc + (n - acc - ref) < need then status = 'REJECTED' end
if status ~= 'PENDING' then
  loop_finish(k, id, status, accept == '1' and 'accepted' or 'rejected', now, tonumber(ARGV[3]))
end
notify(k[4], channel, status)
return {'ok', status, id}

-- loop_create: store a new pending loop, its participants' promises and its deadline.
-- KEYS: 1 loop hash, 2 loop deadlines, 3 idempotency record, 4 outbox, 5.. one promise key per participant
-- ARGV: 1 loopId, 2 name, 3 description, 4 timeout ms, 5 policy, 6 k (accepts needed), 7 now ms,
--       8 deadline ms, 9 retention ms, 10 request fingerprint ('' = no Idempotency-Key),
--       11 response to replay, 12 idempotency ttl ms, 13 callback URL ('' = none),
--       14 invite by email ('1'/'0'), 15.. the n emails, then the n promise ids
-- Returns: {'created'} | {'replay', response} | {'idem_conflict'}
if ARGV[10] ~= '' then
  local seen = redis.call('HMGET', KEYS[3], 'fp', 'body')
  if seen[1] then
    if seen[1] == ARGV[10] then return {'replay', seen[2]} end
    return {'idem_conflict'}
  end
end
local n = #KEYS - 4
local now, deadline, retention = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local fields = {'name', ARGV[2], 'description', ARGV[3], 'timeout', ARGV[4], 'policy', ARGV[5], 'k', ARGV[6],
  'n', n, 'status', 'PENDING', 'createdAt', ARGV[7], 'deadline', ARGV[8], 'v', 1, 'acc', 0, 'ref', 0}
for i = 0, n - 1 do
  local email, promise = ARGV[15 + i], ARGV[15 + n + i]
  for _, kv in ipairs({{'e', email}, {'p', promise}, {'s', 'PENDING'}, {'a', ''}}) do
    fields[#fields + 1] = kv[1] .. i
    fields[#fields + 1] = kv[2]
  end
  if ARGV[14] == '1' then
    fields[#fields + 1] = 'm' .. i
    fields[#fields + 1] = 'pending'
  end
  redis.call('SET', KEYS[5 + i], ARGV[1] .. ' ' .. i, 'PX', deadline - now + retention)
end
if ARGV[13] ~= '' then
  fields[#fields + 1] = 'callbackUrl'
  fields[#fields + 1] = ARGV[13]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], deadline - now + retention)
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
if ARGV[14] == '1' then  -- the invitations, queued in the same step as the loop: none can be lost
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[1], 'v', 1, 'k', 'invite')
end
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[3], 'fp', ARGV[10], 'body', ARGV[11])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[12]))
end
return {'created'}

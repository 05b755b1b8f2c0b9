-- loop_create: store a new pending loop, its participants' promises and its deadline, all in the
-- loop's partition (the promise ids carry it).
-- KEYS: 1 loop hash, 2 loop deadlines, 3 outbox, 4.. one promise key per participant
-- ARGV: 1 loopId, 2 name, 3 description, 4 timeout ms, 5 policy, 6 k (accepts needed), 7 now ms,
--       8 deadline ms, 9 retention ms, 10 '1' when an Idempotency-Key guards it (idem_claim.lua ran
--       first: make it only if it does not exist), 11 callback URL ('' = none),
--       12 invite by email ('1'/'0'), 13.. the n emails, then the n promise ids
-- Returns: {'created'} | {'exists'} (a replay of a create that was made)
if ARGV[10] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local n = #KEYS - 3
local now, deadline, retention = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local fields = {'name', ARGV[2], 'description', ARGV[3], 'timeout', ARGV[4], 'policy', ARGV[5], 'k', ARGV[6],
  'n', n, 'status', 'PENDING', 'createdAt', ARGV[7], 'deadline', ARGV[8], 'v', 1, 'acc', 0, 'ref', 0}
for i = 0, n - 1 do
  local email, promise = ARGV[13 + i], ARGV[13 + n + i]
  for _, kv in ipairs({{'e', email}, {'p', promise}, {'s', 'PENDING'}, {'a', ''}}) do
    fields[#fields + 1] = kv[1] .. i
    fields[#fields + 1] = kv[2]
  end
  if ARGV[12] == '1' then
    fields[#fields + 1] = 'm' .. i
    fields[#fields + 1] = 'pending'
  end
  redis.call('SET', KEYS[4 + i], ARGV[1] .. ' ' .. i, 'PX', deadline - now + retention)
end
if ARGV[11] ~= '' then
  fields[#fields + 1] = 'callbackUrl'
  fields[#fields + 1] = ARGV[11]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], deadline - now + retention)
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
if ARGV[12] == '1' then  -- the invitations, queued in the same step as the loop: none can be lost
  redis.call('XADD', KEYS[3], '*', 'id', ARGV[1], 'v', 1, 'k', 'invite')
end
return {'created'}

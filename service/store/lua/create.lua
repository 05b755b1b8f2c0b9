-- create: store a new pending interrupt with its indexes, counters and deadline.
-- The hash is version 1; the event list (KEYS[2]) starts with the first change, and nobody can be
-- waiting on an id that did not exist, so nothing is published. KEYS[2] and ARGV[12] are unused here
-- but kept so that every transition takes the same key layout.
-- KEYS: 1 hash, 2 event list, 3 user pending zset, 4 user stats, 5 user actions, 6 deadlines, 7 idempotency record
-- ARGV: 1 id, 2 agentId, 3 userId, 4 action, 5 context (JSON text), 6 urgency, 7 createdAt ms,
--       8 expiresAt ms, 9 callbackUrl ('' = none), 10 retention ms, 11 user-key ttl ms, 12 channel,
--       13 request fingerprint ('' = no Idempotency-Key), 14 response body to replay, 15 idempotency ttl ms
-- Returns: {'created', v} | {'replay', response} | {'idem_conflict'}
-- (ids are random UUIDv4, 122 bits: a collision check would cost every create a call for nothing)
local id, now, expires_at = ARGV[1], tonumber(ARGV[7]), tonumber(ARGV[8])
local retention, user_ttl = tonumber(ARGV[10]), tonumber(ARGV[11])
if ARGV[13] ~= '' then
  local seen = redis.call('HMGET', KEYS[7], 'fp', 'body')
  if seen[1] then
    if seen[1] == ARGV[13] then return {'replay', seen[2]} end
    return {'idem_conflict'}
  end
end
local fields = {'agentId', ARGV[2], 'userId', ARGV[3], 'action', ARGV[4], 'context', ARGV[5],
  'urgency', ARGV[6], 'status', 'pending', 'createdAt', ARGV[7], 'expiresAt', ARGV[8], 'v', 1}
if ARGV[9] ~= '' then
  fields[#fields + 1] = 'callbackUrl'
  fields[#fields + 1] = ARGV[9]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], expires_at - now + retention)
redis.call('ZADD', KEYS[3], now, id)
redis.call('PEXPIRE', KEYS[3], user_ttl)
redis.call('HINCRBY', KEYS[4], 's:pending', 1)
redis.call('HINCRBY', KEYS[4], 'u:' .. ARGV[6], 1)
redis.call('PEXPIRE', KEYS[4], user_ttl)
redis.call('ZINCRBY', KEYS[5], 1, ARGV[4])
redis.call('PEXPIRE', KEYS[5], user_ttl)
redis.call('ZADD', KEYS[6], expires_at, id)
if ARGV[13] ~= '' then
  redis.call('HSET', KEYS[7], 'fp', ARGV[13], 'body', ARGV[14])
  redis.call('PEXPIRE', KEYS[7], tonumber(ARGV[15]))
end
return {'created', 1}

-- idem_claim: claim an Idempotency-Key for a create, one step before the create itself. The record
-- lives in a partition of its own (keys.idempotency), not the created record's, so the same key sent
-- with another body is always found; the create then runs only if its record does not exist yet, so
-- a create lost between the two steps is made by the replay, and a replay never makes a second one.
-- KEYS: 1 the idempotency record
-- ARGV: 1 request fingerprint, 2 what a replay answers (the ids the create will use), 3 ttl ms
-- Returns: {'claimed'} | {'seen', what the first request stored} | {'conflict'}
local seen = redis.call('HMGET', KEYS[1], 'fp', 'body')
if seen[1] then
  if seen[1] == ARGV[1] then return {'seen', seen[2]} end
  return {'conflict'}
end
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'body', ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return {'claimed'}

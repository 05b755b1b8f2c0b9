-- create: store a new pending interrupt with its indexes, counters and deadline.
-- The hash is version 1: the interrupt's event list starts with its first change, and nobody can be
-- waiting on an id that did not exist; only the user's channel hears of it, and only while an
-- inbox of the user is open (its marker key exists), so creates cost no pub/sub traffic otherwise.
-- KEYS: 1 hash, 2 user pending zset, 3 user stats, 4 user actions, 5 deadlines, 6 idempotency record,
--       7 deadline ttl key (its expiry is the worker's keyspace notification; only written for deadlines
--         sooner than ARGV 16), 8 service metrics,
--       9 the user's "an inbox is open" marker, 10 outbox (the reviewers' mailing is queued there),
--       11 the nudge index (reminders and escalations, scored by when the next is due)
-- ARGV: 1 id, 2 agentId, 3 userId, 4 action, 5 context (JSON text), 6 urgency, 7 createdAt ms,
--       8 expiresAt ms, 9 callbackUrl ('' = none), 10 retention ms, 11 user-key ttl ms,
--       12 request fingerprint ('' = no Idempotency-Key), 13 response body to replay, 14 idempotency ttl ms,
--       15 the user's pub/sub channel, 16 fast-path horizon ms (see keys.FAST_EXPIRY_HORIZON_MS),
--       17 who created it (key label), 18 through which channel (api, mcp), 19 reviewers to mail (JSON list, '' = none),
--       20 the decision made at the deadline if nobody decides ('' = none: it expires),
--       21 the responseSchema a decision's response must match (JSON text, '' = none),
--       22 remind every (ms, '' = never), 23 escalate after (ms, '' = never), 24 escalate to (JSON list),
--       25 the Slack channel to post it to ('' = none; its post is queued in the outbox)
-- Returns: {'created', v} | {'replay', response} | {'idem_conflict'}
-- (ids are random UUIDv4, 122 bits: a collision check would cost every create a call for nothing)
local id, now, expires_at = ARGV[1], tonumber(ARGV[7]), tonumber(ARGV[8])
local retention, user_ttl = tonumber(ARGV[10]), tonumber(ARGV[11])
if ARGV[12] ~= '' then
  local seen = redis.call('HMGET', KEYS[6], 'fp', 'body')
  if seen[1] then
    if seen[1] == ARGV[12] then return {'replay', seen[2]} end
    return {'idem_conflict'}
  end
end
local fields = {'agentId', ARGV[2], 'userId', ARGV[3], 'action', ARGV[4], 'context', ARGV[5],
  'urgency', ARGV[6], 'status', 'pending', 'createdAt', ARGV[7], 'expiresAt', ARGV[8], 'v', 1,
  'createdBy', ARGV[17], 'createdVia', ARGV[18]}
-- the optional fields, each stored only when given ('' = absent)
for field, value in pairs({reviewers = ARGV[19], callbackUrl = ARGV[9], onTimeout = ARGV[20], responseSchema = ARGV[21],
                           slackChannel = ARGV[25], remindEvery = ARGV[22], escalateAfter = ARGV[23],
                           escalateTo = ARGV[24]}) do
  if value ~= '' then
    fields[#fields + 1] = field
    fields[#fields + 1] = value
  end
end
local nudge = nil  -- when the first reminder or the escalation is due
if ARGV[22] ~= '' then nudge = now + tonumber(ARGV[22]) end
if ARGV[23] ~= '' and (not nudge or now + tonumber(ARGV[23]) < nudge) then nudge = now + tonumber(ARGV[23]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], expires_at - now + retention)
redis.call('ZADD', KEYS[2], now, id)
keep_alive(KEYS[2], user_ttl)
redis.call('HINCRBY', KEYS[3], 's:pending', 1)
redis.call('HINCRBY', KEYS[3], 'u:' .. ARGV[6], 1)
keep_alive(KEYS[3], user_ttl)
redis.call('ZINCRBY', KEYS[4], 1, ARGV[4])
keep_alive(KEYS[4], user_ttl)
redis.call('ZADD', KEYS[5], expires_at, id)
if expires_at - now < tonumber(ARGV[16]) then  -- the worker's sweep wakes in time for later deadlines
  redis.call('SET', KEYS[7], '', 'PX', expires_at - now)
end
if ARGV[12] ~= '' then
  redis.call('HSET', KEYS[6], 'fp', ARGV[12], 'body', ARGV[13])
  redis.call('PEXPIRE', KEYS[6], tonumber(ARGV[14]))
end
redis.call('HINCRBY', KEYS[8], 'pending:' .. ARGV[6], 1)
if nudge and nudge < expires_at then redis.call('ZADD', KEYS[11], nudge, id) end
if ARGV[19] ~= '' then redis.call('XADD', KEYS[10], '*', 'id', ARGV[1], 'v', 1, 'k', 'review-mail') end
if ARGV[25] ~= '' then redis.call('XADD', KEYS[10], '*', 'id', ARGV[1], 'v', 1, 'k', 'slack') end
notify(KEYS[9], ARGV[15], 'created')
return {'created', 1}

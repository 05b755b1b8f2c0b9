-- create: store a new pending interrupt with its indexes, counters and deadline.
-- The hash is version 1: the interrupt's event list starts with its first change, and nobody can be
-- waiting on an id that did not exist; only the user's channel hears of it, and only while an
-- inbox of the user is open (its marker key exists), so creates cost no pub/sub traffic otherwise.
-- Every key is in the user's partition (keys.py), the interrupt's id included.
-- KEYS: 1 hash, 2 user pending zset, 3 user stats, 4 user actions, 5 deadlines,
--       6 deadline ttl key (its expiry is the worker's keyspace notification; only written for deadlines
--         sooner than ARGV 14), 7 metrics, 8 the user's "an inbox is open" marker,
--       9 outbox (the reviewers' mailing is queued there), 10 the nudge index (reminders and
--         escalations, scored by when the next is due)
-- ARGV: 1 id, 2 agentId, 3 userId, 4 action, 5 context (JSON text), 6 urgency, 7 createdAt ms,
--       8 expiresAt ms, 9 callbackUrl ('' = none), 10 retention ms, 11 user-key ttl ms,
--       12 '1' when an Idempotency-Key guards it (idem_claim.lua ran first: make it only if it does not exist),
--       13 the user's pub/sub channel, 14 fast-path horizon ms (see keys.FAST_EXPIRY_HORIZON_MS),
--       15 who created it (key label), 16 through which channel (api, mcp), 17 reviewers to mail (JSON list, '' = none),
--       18 the decision made at the deadline if nobody decides ('' = none: it expires),
--       19 the responseSchema a decision's response must match (JSON text, '' = none),
--       20 remind every (ms, '' = never), 21 escalate after (ms, '' = never), 22 escalate to (JSON list),
--       23 the Slack channel to post it to ('' = none; its post is queued in the outbox)
-- Returns: {'created', v} | {'exists'} (a replay of a create that was made)
-- (ids are random, 116 bits: without an Idempotency-Key a collision check would cost every create a call for nothing)
local id, now, expires_at = ARGV[1], tonumber(ARGV[7]), tonumber(ARGV[8])
local retention, user_ttl = tonumber(ARGV[10]), tonumber(ARGV[11])
if ARGV[12] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local fields = {'agentId', ARGV[2], 'userId', ARGV[3], 'action', ARGV[4], 'context', ARGV[5],
  'urgency', ARGV[6], 'status', 'pending', 'createdAt', ARGV[7], 'expiresAt', ARGV[8], 'v', 1,
  'createdBy', ARGV[15], 'createdVia', ARGV[16]}
-- the optional fields, each stored only when given ('' = absent)
for field, value in pairs({reviewers = ARGV[17], callbackUrl = ARGV[9], onTimeout = ARGV[18], responseSchema = ARGV[19],
                           slackChannel = ARGV[23], remindEvery = ARGV[20], escalateAfter = ARGV[21],
                           escalateTo = ARGV[22]}) do
  if value ~= '' then
    fields[#fields + 1] = field
    fields[#fields + 1] = value
  end
end
local nudge = nil  -- when the first reminder or the escalation is due
if ARGV[20] ~= '' then nudge = now + tonumber(ARGV[20]) end
if ARGV[21] ~= '' and (not nudge or now + tonumber(ARGV[21]) < nudge) then nudge = now + tonumber(ARGV[21]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], math.max(expires_at - now, 0) + retention)
redis.call('ZADD', KEYS[2], now, id)
keep_alive(KEYS[2], user_ttl)
redis.call('HINCRBY', KEYS[3], 's:pending', 1)
redis.call('HINCRBY', KEYS[3], 'u:' .. ARGV[6], 1)
keep_alive(KEYS[3], user_ttl)
redis.call('ZINCRBY', KEYS[4], 1, ARGV[4])
keep_alive(KEYS[4], user_ttl)
redis.call('ZADD', KEYS[5], expires_at, id)
if expires_at > now and expires_at - now < tonumber(ARGV[14]) then  -- the sweep wakes in time for later deadlines
  redis.call('SET', KEYS[6], '', 'PX', expires_at - now)
end
redis.call('HINCRBY', KEYS[7], 'pending:' .. ARGV[6], 1)
if nudge and nudge < expires_at then redis.call('ZADD', KEYS[10], nudge, id) end
if ARGV[17] ~= '' then redis.call('XADD', KEYS[9], '*', 'id', ARGV[1], 'v', 1, 'k', 'review-mail') end
if ARGV[23] ~= '' then redis.call('XADD', KEYS[9], '*', 'id', ARGV[1], 'v', 1, 'k', 'slack') end
notify(KEYS[8], ARGV[13], 'created')
return {'created', 1}

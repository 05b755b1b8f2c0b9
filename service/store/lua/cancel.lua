-- cancel: the agent withdraws a pending interrupt (compare-and-set on status).
-- KEYS: 1 hash, 2 event list, 3 deadlines, 4 deadline ttl key, 5 outbox, 6 service metrics, 7 watched marker
-- ARGV: 1 id, 2 user key prefix, 3 now ms, 4 retention ms, 5 user-key ttl ms, 6 channel, 7 who cancelled (key label),
--       8 through which channel (api, mcp)
-- Returns: {'ok', 'cancelled', v} | {'conflict', status, v, decision, decidedAt, reason, modifiedParams, by, response}
--          | {'missing'}
local k = transition_keys(ARGV[2])
if not k then return {'missing'} end
local id, now = ARGV[1], tonumber(ARGV[3])
local retention, user_ttl, channel = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
expire_if_due(k, id, now, retention, user_ttl, channel)  -- a due expiry is recorded; the action then conflicts
if redis.call('HGET', k[1], 'status') ~= 'pending' then return current(k[1]) end
local v = finish(k, id, 'cancelled', now, retention, user_ttl, channel, {'by', ARGV[7], 'via', ARGV[8]})
return {'ok', 'cancelled', v}

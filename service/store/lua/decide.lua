-- decide: record a human decision on a pending interrupt (compare-and-set on status).
-- KEYS: 1 hash, 2 event list, 3 deadlines, 4 deadline ttl key, 5 outbox, 6 service metrics, 7 watched marker
-- ARGV: 1 id, 2 user key prefix, 3 now ms, 4 retention ms, 5 user-key ttl ms, 6 channel, 7 decision,
--       8 has reason ('1'/'0'), 9 reason, 10 has modifiedParams ('1'/'0'), 11 modifiedParams (JSON text),
--       12 who decided (a key label, a reviewer, 'link'), 13 through which channel (api, mcp, review-page, inbox, email),
--       14 has response ('1'/'0'), 15 response (JSON text), 16 SHA-1 of the responseSchema it was checked against
-- Returns: {'ok', status, v, decidedAt}
--          | {'conflict', status, v, decision, decidedAt, reason, modifiedParams, by, response}
--          | {'schema', responseSchema}: check the decision against it and send it again with its digest
--          | {'unasked'}: a response for an interrupt without a responseSchema | {'missing'}
local k = transition_keys(ARGV[2])
if not k then return {'missing'} end
local id, now = ARGV[1], tonumber(ARGV[3])
local retention, user_ttl, channel = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
expire_if_due(k, id, now, retention, user_ttl, channel)  -- a due expiry is recorded; the action then conflicts
local f = redis.call('HMGET', k[1], 'status', 'responseSchema')
if f[1] ~= 'pending' then return current(k[1]) end
if f[2] then
  if ARGV[16] ~= redis.sha1hex(f[2]) then return {'schema', f[2]} end
elseif ARGV[14] == '1' then
  return {'unasked'}
end
local extra = {'decision', ARGV[7], 'decidedAt', now, 'by', ARGV[12], 'via', ARGV[13]}
if ARGV[8] == '1' then extra[#extra + 1] = 'reason'; extra[#extra + 1] = ARGV[9] end
if ARGV[10] == '1' then extra[#extra + 1] = 'modifiedParams'; extra[#extra + 1] = ARGV[11] end
if ARGV[14] == '1' then extra[#extra + 1] = 'response'; extra[#extra + 1] = ARGV[15] end
local v = finish(k, id, ARGV[7], now, retention, user_ttl, channel, extra)
return {'ok', ARGV[7], v, now}

-- nudge: send what is due of a pending interrupt's reminders and escalation (the worker's sweep of the
-- nudge index), then schedule the next one. The due time is taken from the index in the same step, so
-- however many workers sweep, each due time is acted on once: the first moves it on, the others find
-- it not due. Reminders missed while no worker ran are sent as one (numbered by the time elapsed).
-- KEYS: 1 hash, 2 nudge index, 3 outbox, 4 history list
-- ARGV: 1 id, 2 now ms
-- Returns: {'sent', reminder number (0: none), first index of the added reviewers (-1: no escalation)}
--          | {'notdue'} | {'done'} (no longer pending, or nothing left to send: out of the index)
local id, now = ARGV[1], tonumber(ARGV[2])
local due = redis.call('ZSCORE', KEYS[2], id)
if not due or tonumber(due) > now then return {'notdue'} end
local f = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'createdAt', 'remindEvery', 'escalateAfter',
  'escalateTo', 'escalated', 'reminded', 'reviewers', 'v')
if f[1] ~= 'pending' or now >= tonumber(f[2]) then
  redis.call('ZREM', KEYS[2], id)
  return {'done'}
end
local created, ttl = tonumber(f[3]), redis.call('PTTL', KEYS[1])
local function record(event, detail)
  redis.call('RPUSH', KEYS[4], cjson.encode({at = now, event = event, channel = 'worker', detail = detail}))
  redis.call('HINCRBY', KEYS[1], 'h', 1)  -- the history list's count (history.py: HISTORY_COUNT)
  redis.call('PEXPIRE', KEYS[4], ttl)
end
local first_added = -1
if f[5] and not f[7] and now >= created + tonumber(f[5]) then
  local reviewers = f[9] and cjson.decode(f[9]) or {}
  local known, added = {}, {}
  for _, address in ipairs(reviewers) do known[string.lower(address)] = true end
  for _, address in ipairs(cjson.decode(f[6])) do
    if not known[string.lower(address)] then
      added[#added + 1] = address
      reviewers[#reviewers + 1] = address
    end
  end
  redis.call('HSET', KEYS[1], 'escalated', now)
  if #added > 0 then
    first_added = #reviewers - #added
    redis.call('HSET', KEYS[1], 'reviewers', cjson.encode(reviewers))
    redis.call('XADD', KEYS[3], '*', 'id', id, 'v', f[10], 'k', 'escalation', 'n', first_added)
  end
  record('escalated', #added > 0 and {added = added} or {})  -- (cjson writes an empty table as {})
  f[7] = '1'
end
local every, number = tonumber(f[4]), tonumber(f[8] or '0')
if every then
  local reached = math.floor((now - created) / every)
  if reached > number then
    number = reached
    redis.call('HSET', KEYS[1], 'reminded', number)
    redis.call('XADD', KEYS[3], '*', 'id', id, 'v', f[10], 'k', 'reminder', 'n', number)
    record('reminder', {reminder = number})
  else
    number = 0
  end
end
local next_due = nil
if every then next_due = created + (math.floor((now - created) / every) + 1) * every end
if f[5] and not f[7] then
  local at = created + tonumber(f[5])
  if not next_due or at < next_due then next_due = at end
end
if next_due and next_due < tonumber(f[2]) then
  redis.call('ZADD', KEYS[2], next_due, id)
else
  redis.call('ZREM', KEYS[2], id)
end
return {'sent', every and number or 0, first_added}

-- Shared helpers, prepended (after _ttl.lua and _notify.lua) to every interrupt transition script.
-- KEYS/ARGV are the calling script's; these functions only touch the keys handed to them.

-- TTD_BUCKETS (time-to-decision histogram buckets, ms), TIMEOUT_BY and TIMEOUT_REASON are prepended by
-- scripts.py from service/domain/machine.py.

-- Move a pending interrupt to a terminal status: hash, indexes, counters, event, outbox, publish.
-- k = {hash, events, pending, stats, deadlines, deadline ttl key, outbox stream, partition metrics, watched marker};
-- extra = flat list of additional hash fields. Returns the new version.
local function finish(k, id, status, now, retention, user_ttl, channel, extra)
  local f = redis.call('HMGET', k[1], 'createdAt', 'callbackUrl', 'urgency', 'slackChannel')
  local created_at = tonumber(f[1])
  local v = redis.call('HINCRBY', k[1], 'v', 1)
  local fields = {'status', status, 'endedAt', now}
  for i = 1, #extra do fields[#fields + 1] = extra[i] end
  redis.call('HSET', k[1], unpack(fields))
  redis.call('PEXPIRE', k[1], retention)
  redis.call('ZREM', k[3], id)
  redis.call('ZREM', k[5], id)
  redis.call('DEL', k[6])
  redis.call('HINCRBY', k[4], 's:pending', -1)
  redis.call('HINCRBY', k[4], 's:' .. status, 1)
  redis.call('HINCRBY', k[8], 'pending:' .. (f[3] or 'medium'), -1)
  redis.call('HINCRBY', k[8], 'ended:' .. status, 1)
  if status == 'approved' or status == 'rejected' then
    local ms = now - created_at
    redis.call('HINCRBY', k[4], 'dn', 1)
    redis.call('HINCRBY', k[4], 'dms', ms)
    local bucket = '+Inf'
    for _, le in ipairs(TTD_BUCKETS) do
      if ms <= le then bucket = tostring(le) break end
    end
    redis.call('HINCRBY', k[8], 'ttd:' .. bucket, 1)
    redis.call('HINCRBY', k[8], 'ttd_ms', ms)
  end
  keep_alive(k[3], user_ttl)
  keep_alive(k[4], user_ttl)
  local event = {v = v, status = status, at = now}
  for i = 1, #extra, 2 do event[extra[i]] = extra[i + 1] end
  redis.call('RPUSH', k[2], cjson.encode(event))
  redis.call('PEXPIRE', k[2], retention)
  if f[2] then  -- the webhook to send, in the same atomic step: no acknowledged change can miss it
    redis.call('XADD', k[7], '*', 'id', id, 'v', v)
  end
  if f[4] then  -- likewise the Slack message's update to the outcome
    redis.call('XADD', k[7], '*', 'id', id, 'v', v, 'k', 'slack-update')
  end
  notify(k[9], channel, v .. ' ' .. status)
  return v
end

-- The fields a loser of a race is shown: the winning status and decision.
local function current(hash)
  local f = redis.call('HMGET', hash, 'status', 'v', 'decision', 'decidedAt', 'reason', 'modifiedParams', 'by',
    'response')
  return {'conflict', f[1], f[2], f[3] or false, f[4] or false, f[5] or false, f[6] or false, f[7] or false,
    f[8] or false}
end

-- End `hash` if it is pending and due: expired, or decided as its onTimeout says (at the deadline, by
-- TIMEOUT_BY). Returns the status it ended with, or nil when it was not due.
local function expire_if_due(k, id, now, retention, user_ttl, channel)
  local f = redis.call('HMGET', k[1], 'status', 'expiresAt', 'onTimeout')
  if f[1] ~= 'pending' or now < tonumber(f[2]) then return nil end
  if not f[3] then
    finish(k, id, 'expired', now, retention, user_ttl, channel, {})
    return 'expired'
  end
  local extra = {'decision', f[3], 'decidedAt', f[2], 'by', TIMEOUT_BY, 'via', TIMEOUT_BY, 'reason', TIMEOUT_REASON}
  finish(k, id, f[3], tonumber(f[2]), retention, user_ttl, channel, extra)
  return f[3]
end

-- The keys of a transition (the k list above): the interrupt's own from KEYS (1 hash, 2 event list,
-- 3 deadlines, 4 deadline ttl key, 5 outbox, 6 partition metrics, 7 watched marker) and its user's
-- pending index and counters derived from the hash's userId and `user_prefix` (keys.user_prefix of
-- the interrupt's partition, which is its user's: the same slot), so a transition is one round trip.
-- nil when it is gone.
local function transition_keys(user_prefix)
  local owner = redis.call('HGET', KEYS[1], 'userId')
  if not owner then return nil end
  local user = user_prefix .. owner .. ':'
  return {KEYS[1], KEYS[2], user .. 'pending', user .. 'stats', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]}
end

-- Shared loop helpers, prepended to the loop transition scripts when they are loaded.
-- Participant i (0-based) lives in the loop hash as e<i> email, p<i> promise id, s<i> state,
-- a<i> accept ('1'/'0', '' while open), d<i> decided at (ms).

-- End a loop: close the promises still open, record the outcome, leave the deadline index, and
-- queue its webhook when it has a callback. k = {loop hash, loop deadlines, outbox, watched marker}.
-- Callers bump the version first and publish after.
local function loop_finish(k, id, status, cause, now, retention)
  local n = tonumber(redis.call('HGET', k[1], 'n'))
  for i = 0, n - 1 do
    if redis.call('HGET', k[1], 's' .. i) == 'PENDING' then
      redis.call('HSET', k[1], 's' .. i, 'CANCELLED')
    end
  end
  redis.call('HSET', k[1], 'status', status, 'cause', cause, 'endedAt', now)
  redis.call('ZREM', k[2], id)
  redis.call('PEXPIRE', k[1], retention)
  local f = redis.call('HMGET', k[1], 'callbackUrl', 'v')
  if f[1] then redis.call('XADD', k[3], '*', 'id', id, 'v', f[2], 'k', 'loop') end
end

-- Time out every open promise of a pending loop past its deadline. Returns true when it did.
local function loop_expire_if_due(k, id, now, retention, channel)
  local f = redis.call('HMGET', k[1], 'status', 'deadline', 'n', 'ref')
  if f[1] ~= 'PENDING' or now < tonumber(f[2]) then return false end
  local timed_out = 0
  for i = 0, tonumber(f[3]) - 1 do
    if redis.call('HGET', k[1], 's' .. i) == 'PENDING' then
      redis.call('HSET', k[1], 's' .. i, 'REJECTED_TIMEDOUT', 'a' .. i, '0', 'd' .. i, now)
      timed_out = timed_out + 1
    end
  end
  redis.call('HSET', k[1], 'ref', tonumber(f[4]) + timed_out)
  redis.call('HINCRBY', k[1], 'v', 1)
  loop_finish(k, id, 'REJECTED', 'timedout', now, retention)
  notify(k[4], channel, 'timedout')
  return true
end

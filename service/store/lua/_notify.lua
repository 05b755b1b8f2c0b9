-- notify: publish `message` on `channel` only while someone listens for it, i.e. while its marker
-- key (keys.watched, set by a waiting process before it reads) exists. Unwatched changes then cost
-- no pub/sub traffic: no pattern matching in Redis, no message for every API process to parse.
local function notify(marker, channel, message)
  if redis.call('EXISTS', marker) == 1 then redis.call('SPUBLISH', channel, message) end
end

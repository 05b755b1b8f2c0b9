-- slack_posted: remember where an interrupt's Slack message is (to update it with the outcome), unless the
-- interrupt is gone (a retention-expired hash must not come back as a stray key without a TTL).
-- KEYS: 1 hash
-- ARGV: 1 "<channel id> <message ts>"
-- Returns: 1 | 0 when the interrupt is gone
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'slackPosted', ARGV[1])
return 1

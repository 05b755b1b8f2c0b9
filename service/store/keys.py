"""The only place that names Redis keys and channels.

One interrupt's keys share the hash tag `{<id>}`; a user's indexes and counters share `{<userId>}`.
"""

import hashlib

PREFIX = "interlock"


def interrupt(interrupt_id: str) -> str:
    """The hash holding one interrupt."""
    return f"{PREFIX}:{{{interrupt_id}}}:i"


def events(interrupt_id: str) -> str:
    """The list of one interrupt's changes after creation, as JSON with `v` (version 1 is the hash itself).

    A list, not a stream: a one-entry stream costs ~4 KiB, a list ~0.1 KiB.
    """
    return f"{PREFIX}:{{{interrupt_id}}}:events"


def channel(interrupt_id: str) -> str:
    """The pub/sub channel that wakes waiters on one interrupt."""
    return f"{PREFIX}:{{{interrupt_id}}}:ch"


def user_topic(user_id: str) -> str:
    """What waiters watch (and `channel` names) to hear of a user's new interrupts (never a UUID)."""
    return f"user:{user_id}"


def watched(key: str) -> str:
    """Exists while some process waits on `key` (an id or a user topic): changes publish on its channel only then."""
    return f"{PREFIX}:{{{key}}}:watched"


def user_watched(user_id: str) -> str:
    """Exists while an inbox of the user is open: creates publish on the user's topic only then."""
    return watched(user_topic(user_id))


def channel_pattern() -> str:
    """The pattern matching every interrupt's channel (one subscription per process)."""
    return f"{PREFIX}:{{*}}:ch"


def id_from_channel(name: str) -> str:
    """The interrupt id inside a channel name made by `channel`."""
    return name[len(PREFIX) + 2 : -4]


def user_pending(user_id: str) -> str:
    """The sorted set of a user's pending interrupt ids, scored by createdAt (ms)."""
    return f"{PREFIX}:user:{{{user_id}}}:pending"


def user_stats(user_id: str) -> str:
    """The hash of a user's analytics counters."""
    return f"{PREFIX}:user:{{{user_id}}}:stats"


def user_actions(user_id: str) -> str:
    """The sorted set counting a user's interrupts by action string."""
    return f"{PREFIX}:user:{{{user_id}}}:actions"


def deadlines() -> str:
    """The sorted set of pending interrupt ids scored by deadline (ms): the worker's sweep list."""
    return f"{PREFIX}:deadlines"


def idempotency(scope: str, key: str) -> str:
    """The record of one Idempotency-Key within one API key's scope (the key is hashed)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{PREFIX}:idem:{{{scope}}}:{digest}"


def webhook_secret() -> str:
    """The generated Standard Webhooks secret, kept when WEBHOOK_SECRET is not set."""
    return f"{PREFIX}:webhook-secret"


# Only deadlines sooner than this get a deadline_ttl key: the worker's sweep wakes at least every
# 250 ms and then sleeps exactly until the earliest deadline, so it is on time for every later one.
FAST_EXPIRY_HORIZON_MS = 1_000


def deadline_ttl(interrupt_id: str) -> str:
    """An empty key expiring at a near deadline (FAST_EXPIRY_HORIZON_MS); its keyspace notification wakes the worker."""
    return f"{PREFIX}:{{{interrupt_id}}}:ttl"


def id_from_deadline_ttl(key: str) -> str | None:
    """The interrupt id inside a key made by `deadline_ttl`, or None for any other key."""
    head, tail = f"{PREFIX}:{{", "}:ttl"
    return key[len(head) : -len(tail)] if key.startswith(head) and key.endswith(tail) else None


def nudges() -> str:
    """The sorted set of pending interrupt ids with reminders or an escalation, scored by when the next is due (ms)."""
    return f"{PREFIX}:nudges"


def slack_seen(digest: str) -> str:
    """Exists for a while after a signed Slack request with this signature digest was handled (replays refused)."""
    return f"{PREFIX}:slack-seen:{digest}"


def workers() -> str:
    """The hash of worker name → its last heartbeat (ms), read by `interlock worker --check`."""
    return f"{PREFIX}:workers"


def outbox() -> str:
    """The stream of webhooks to send, appended by the terminal transitions and read by the workers' group."""
    return f"{PREFIX}:outbox"


def history(interrupt_id: str) -> str:
    """The list of one interrupt's events that are not transitions (review links minted or mailed), as JSON."""
    return f"{PREFIX}:{{{interrupt_id}}}:history"


def redelivery_limit(interrupt_id: str) -> str:
    """Exists for a short while after a redelivery of the interrupt's webhook was queued (the rate limit)."""
    return f"{PREFIX}:{{{interrupt_id}}}:redeliver"


def attempts(interrupt_id: str) -> str:
    """The list of one interrupt's webhook attempts, oldest first, as JSON."""
    return f"{PREFIX}:{{{interrupt_id}}}:attempts"


def failed_deliveries() -> str:
    """The sorted set of interrupt ids whose webhook failed for good, scored by when (ms)."""
    return f"{PREFIX}:deliveries:failed"


def tag_prefix() -> str:
    """What every per-record key and channel starts with, up to its hash tag (scripts derive keys from it)."""
    return f"{PREFIX}:{{"


def user_tag_prefix() -> str:
    """What a user's index keys start with, up to the user id (the transition scripts derive them from it)."""
    return f"{PREFIX}:user:{{"


def loop(loop_id: str) -> str:
    """The hash holding one loop and its participants' promises."""
    return f"{PREFIX}:{{{loop_id}}}:loop"


def promise(promise_id: str) -> str:
    """Which loop and participant a promise id belongs to (`<loopId> <index>`)."""
    return f"{PREFIX}:{{{promise_id}}}:promise"


def loop_deadlines() -> str:
    """The sorted set of pending loop ids scored by deadline (ms): swept by the worker."""
    return f"{PREFIX}:loop-deadlines"


def metrics() -> str:
    """The service-wide counters the transitions keep (pending by urgency, outcomes, time to decision, webhooks)."""
    return f"{PREFIX}:metrics"


def page_secret() -> str:
    """The key that signs the review pages' CSRF tokens (made once, shared by every API process)."""
    return f"{PREFIX}:page-secret"


def write_probe() -> str:
    """A short-lived key /readyz writes, to learn whether Redis accepts writes (not full, not a replica)."""
    return f"{PREFIX}:readyz-probe"

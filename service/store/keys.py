"""The only place that names Redis keys and channels, and the rule that places them in partitions.

Every key lives in one of `PARTITIONS` partitions: `interlock:{<tag>}:…`, the tag (a hash tag) naming
the partition, so on Redis Cluster a partition is one slot and everything one transition touches is
in one slot. A record's partition is read from its id (`partition_of`): an interrupt's is its user's
(`user_partition`), so the user's pending index and counters sit beside every one of their records;
a loop's promises share the loop's. The tags are chosen so partition k lies in the k-th of
`PARTITIONS` equal slot ranges: any even split of the slots between primaries splits the partitions
evenly too (48 = 1, 2, 3, 4, 6, 8, 12, 16, 24 or 48 primaries). Keys outside every transition (the
worker registry, secrets, Slack replay guards) stay single keys of their own.
"""

import hashlib
import zlib

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

PREFIX = "interlock"
PARTITIONS = 48  # fixed for a deployment's lifetime: ids carry their partition


def _tag(partition: int) -> str:
    """The shortest `<partition><n>` whose slot falls in the partition's share of the slots."""
    low = partition * REDIS_CLUSTER_HASH_SLOTS // PARTITIONS
    high = (partition + 1) * REDIS_CLUSTER_HASH_SLOTS // PARTITIONS
    n = 0
    while not low <= key_slot(f"{partition:02d}{n:x}".encode()) < high:
        n += 1
    return f"{partition:02d}{n:x}"


TAGS = tuple(_tag(p) for p in range(PARTITIONS))
_BASES = tuple(f"{PREFIX}:{{{tag}}}:" for tag in TAGS)
_BY_TAG = {tag: p for p, tag in enumerate(TAGS)}


def partition_of(subject_id: str) -> int:
    """The partition of an id we issue (interrupt, loop, promise): its first byte modulo PARTITIONS."""
    try:
        return int(subject_id[:2], 16) % PARTITIONS
    except ValueError:  # not one of our ids: some partition, where it is not found
        return zlib.crc32(subject_id.encode()) % PARTITIONS


def partition_of_key(key: str) -> int:
    """The partition of a key (or channel) named here, read from its hash tag."""
    return _BY_TAG[key[key.index("{") + 1 : key.index("}")]]


def user_partition(user_id: str) -> int:
    """The partition of a user's indexes and counters, and of every interrupt made for the user."""
    return zlib.crc32(user_id.encode()) % PARTITIONS


def base(partition: int) -> str:
    """What every key of `partition` starts with: `interlock:{<tag>}:`."""
    return _BASES[partition]


def _of(subject_id: str) -> str:
    return _BASES[partition_of(subject_id)] + subject_id


def interrupt(interrupt_id: str) -> str:
    """The hash holding one interrupt."""
    return f"{_of(interrupt_id)}:i"


def events(interrupt_id: str) -> str:
    """The list of one interrupt's changes after creation, as JSON with `v` (version 1 is the hash itself).

    A list, not a stream: a one-entry stream costs ~4 KiB, a list ~0.1 KiB.
    """
    return f"{_of(interrupt_id)}:events"


def user_topic(user_id: str) -> str:
    """What waiters watch (and `channel` names) to hear of a user's new interrupts (never a UUID)."""
    return f"user:{user_id}"


def _topic(key: str) -> str:
    """`key` (an id or a user topic) within its partition."""
    if key.startswith("user:"):
        return _BASES[user_partition(key[5:])] + key
    return _of(key)


def channel(key: str) -> str:
    """The pub/sub channel that wakes waiters on `key`: an interrupt or loop id, or a user topic."""
    return f"{_topic(key)}:ch"


def watched(key: str) -> str:
    """Exists while some process waits on `key` (an id or a user topic): changes publish on its channel only then."""
    return f"{_topic(key)}:watched"


def user_watched(user_id: str) -> str:
    """Exists while an inbox of the user is open: creates publish on the user's topic only then."""
    return watched(user_topic(user_id))


def id_from_channel(name: str) -> str:
    """The id or user topic inside a channel name made by `channel`."""
    return name[name.index("}:") + 2 : -3]


def user_pending(user_id: str) -> str:
    """The sorted set of a user's pending interrupt ids, scored by createdAt (ms)."""
    return f"{user_prefix(user_partition(user_id))}{user_id}:pending"


def user_stats(user_id: str) -> str:
    """The hash of a user's analytics counters."""
    return f"{user_prefix(user_partition(user_id))}{user_id}:stats"


def user_actions(user_id: str) -> str:
    """The sorted set counting a user's interrupts by action string."""
    return f"{user_prefix(user_partition(user_id))}{user_id}:actions"


def user_prefix(partition: int) -> str:
    """What a user's index keys in `partition` start with, up to the user id (transition scripts derive them)."""
    return f"{_BASES[partition]}user:"


def deadlines(partition: int) -> str:
    """The sorted set of a partition's pending interrupt ids scored by deadline (ms): the worker's sweep list."""
    return f"{_BASES[partition]}deadlines"


def idempotency(scope: str, key: str) -> str:
    """The record of one Idempotency-Key within one API key's scope (the key is hashed), in a partition of its own.

    Not the created record's partition: the same key sent with another body (another user) must find it.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{_BASES[int(digest[:8], 16) % PARTITIONS]}idem:{scope}:{digest}"


def webhook_secret() -> str:
    """The generated Standard Webhooks secret, kept when WEBHOOK_SECRET is not set."""
    return f"{PREFIX}:webhook-secret"


# Only deadlines sooner than this get a deadline_ttl key: the worker's sweep wakes at least every
# 250 ms and then sleeps exactly until the earliest deadline, so it is on time for every later one.
FAST_EXPIRY_HORIZON_MS = 1_000


def deadline_ttl(interrupt_id: str) -> str:
    """An empty key expiring at a near deadline (FAST_EXPIRY_HORIZON_MS); its keyspace notification wakes the worker."""
    return f"{_of(interrupt_id)}:ttl"


def id_from_deadline_ttl(key: str) -> str | None:
    """The interrupt id inside a key made by `deadline_ttl`, or None for any other key."""
    head, _, rest = key.partition("}:")
    if not head.startswith(f"{PREFIX}:{{") or not rest.endswith(":ttl"):
        return None
    return rest[: -len(":ttl")]


def nudges(partition: int) -> str:
    """A partition's sorted set of pending ids with reminders or an escalation, scored by when the next is due."""
    return f"{_BASES[partition]}nudges"


def slack_seen(digest: str) -> str:
    """Exists for a while after a signed Slack request with this signature digest was handled (replays refused)."""
    return f"{PREFIX}:slack-seen:{digest}"


def workers() -> str:
    """The hash of worker name → its last heartbeat (ms), read by `interlock worker --check`."""
    return f"{PREFIX}:workers"


def outbox(partition: int) -> str:
    """A partition's stream of webhooks and messages to send, appended by transitions, read by the workers' group."""
    return f"{_BASES[partition]}outbox"


def history(interrupt_id: str) -> str:
    """The list of one interrupt's events that are not transitions (review links minted or mailed), as JSON."""
    return f"{_of(interrupt_id)}:history"


def redelivery_limit(interrupt_id: str) -> str:
    """Exists for a short while after a redelivery of the interrupt's webhook was queued (the rate limit)."""
    return f"{_of(interrupt_id)}:redeliver"


def attempts(interrupt_id: str) -> str:
    """The list of one interrupt's webhook attempts, oldest first, as JSON."""
    return f"{_of(interrupt_id)}:attempts"


def failed_deliveries(partition: int) -> str:
    """A partition's sorted set of ids whose webhook failed for good, scored by when (ms)."""
    return f"{_BASES[partition]}deliveries:failed"


def loop(loop_id: str) -> str:
    """The hash holding one loop and its participants' promises."""
    return f"{_of(loop_id)}:loop"


def promise(promise_id: str) -> str:
    """Which loop and participant a promise id belongs to (`<loopId> <index>`); in the loop's partition."""
    return f"{_of(promise_id)}:promise"


def loop_deadlines(partition: int) -> str:
    """A partition's sorted set of pending loop ids scored by deadline (ms): swept by the worker."""
    return f"{_BASES[partition]}loop-deadlines"


def metrics(partition: int) -> str:
    """A partition's counters the transitions keep (pending by urgency, outcomes, time to decision, webhooks)."""
    return f"{_BASES[partition]}metrics"


def page_secret() -> str:
    """The key that signs the review pages' CSRF tokens (made once, shared by every API process)."""
    return f"{PREFIX}:page-secret"


def write_probe() -> str:
    """A short-lived key /readyz writes, to learn whether Redis accepts writes (not full, not a replica)."""
    return f"{PREFIX}:readyz-probe"

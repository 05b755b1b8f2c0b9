"""Which key layout a store holds: a store written before the partitions is not read by this version.

Refusing to start on one is better than answering from an empty-looking store: the old data would
look lost. An old store always has one of its global keys (the first create wrote them).
"""

from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import translated

LEGACY_GLOBAL_KEYS = tuple(f"{keys.PREFIX}:{name}" for name in ("metrics", "deadlines", "outbox", "loop-deadlines"))


@translated
async def legacy_data(redis: AnyRedis) -> list[str]:
    """The keys of the unpartitioned layout this store holds (none: it is this version's, or empty)."""
    found = [key for key in LEGACY_GLOBAL_KEYS if await redis.exists(key)]
    return found


def refusal(found: list[str]) -> str:
    """What to tell the operator whose store holds `found`."""
    return (
        f"this Redis holds data in the layout of an earlier Interlock ({', '.join(found)}), which this version "
        "does not read; keep running the earlier version on it (docs/operations.md, Redis Cluster)"
    )

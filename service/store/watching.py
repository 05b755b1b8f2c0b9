"""Watch markers: a waiting process says which keys it listens to, so transitions publish only for those."""

import asyncio
from collections import defaultdict
from collections.abc import Collection

from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import translated
from service.store.scripts import source


class WatchMarkers:
    """Sets the `keys.watched` markers that make the transition scripts publish a key's changes."""

    def __init__(self, redis: AnyRedis) -> None:
        self._script = redis.register_script(source("watch"))

    @translated
    async def mark(self, watched: Collection[str], ttl_ms: int) -> None:
        """Keep the markers of `watched` (ids, user topics) for at least `ttl_ms`: one call per partition, at once."""
        markers: dict[int, list[str]] = defaultdict(list)  # one call per partition (a user's list: one)
        for key in watched:
            marker = keys.watched(key)
            markers[keys.partition_of_key(marker)].append(marker)
        if len(markers) == 1:  # the usual case (one key, or a user's list): no task for a gather
            await self._script(keys=next(iter(markers.values())), args=[ttl_ms])
        elif markers:  # concurrent calls, not a pipeline: redis-py's cluster pipelines refuse scripts
            await asyncio.gather(*(self._script(keys=group, args=[ttl_ms]) for group in markers.values()))

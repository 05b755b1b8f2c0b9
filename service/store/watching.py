"""Watch markers: a waiting process says which keys it listens to, so transitions publish only for those."""

from collections.abc import Collection

from redis.asyncio import Redis

from service.store import keys
from service.store.errors import translated
from service.store.scripts import source


class WatchMarkers:
    """Sets the `keys.watched` markers that make the transition scripts publish a key's changes."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(source("watch"))

    @translated
    async def mark(self, watched: Collection[str], ttl_ms: int) -> None:
        """Keep the markers of `watched` (ids, user topics) for at least `ttl_ms`, in one call."""
        if watched:
            await self._script(keys=[keys.watched(key) for key in watched], args=[ttl_ms])

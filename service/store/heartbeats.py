"""Worker heartbeats: each worker notes the time every few seconds; `interlock worker --check` reads them.

One hash (`keys.workers`) of worker name (`<host>-<pid>`) → last beat (ms): a container's health
check asks whether a worker on its own host beat recently. Entries of workers gone for an hour are
dropped by the next beat of any worker.
"""

from typing import cast

from service.clock import Clock
from service.store import keys
from service.store.connection import AnyRedis
from service.store.errors import translated

BEAT_EVERY_S = 5.0
STALE_MS = 30_000  # no beat for this long: that worker is not alive (six beats missed)
FORGET_MS = 3_600_000


class Heartbeats:
    """Writes and reads the workers' heartbeats."""

    def __init__(self, redis: AnyRedis, clock: Clock) -> None:
        self._redis = redis
        self._clock = clock

    @translated
    async def beat(self, name: str) -> None:
        """Note that worker `name` is alive now (and forget workers silent for an hour)."""
        now = self._clock.now_ms()
        await self._redis.hset(keys.workers(), name, str(now))
        beats = cast(dict[str, str], await self._redis.hgetall(keys.workers()))
        gone = [worker for worker, at in beats.items() if now - int(at) > FORGET_MS]
        if gone:
            await self._redis.hdel(keys.workers(), *gone)

    @translated
    async def alive(self, prefix: str, *, within_ms: int = STALE_MS) -> bool:
        """True when a worker whose name starts with `prefix` (a host's: `<host>-`) beat within `within_ms`."""
        now = self._clock.now_ms()
        beats = cast(dict[str, str], await self._redis.hgetall(keys.workers()))
        return any(name.startswith(prefix) and now - int(at) <= within_ms for name, at in beats.items())

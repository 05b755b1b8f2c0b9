"""Redis clients: a blocking-pool factory, and a connection that packs commands with hiredis.

redis-py 5 (the newest arq allows) packs asyncio commands in Python, which costs more than the
round trip itself for a 25-argument EVALSHA; its sync client already uses hiredis for this.
"""

from collections.abc import Callable
from typing import Any

import hiredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection

from service.settings import Settings

_PLAIN = frozenset({str, bytes, int})  # exact types: bool and str subclasses go the slow way


class HiredisPackingConnection(Connection):
    """Same protocol, same behaviour; only the packing is done in C when every argument is plain."""

    def pack_command(self, *args: Any) -> list[bytes]:
        """Pack one command; fall back to redis-py for multi-word names and unusual argument types."""
        if isinstance(args[0], str) and " " in args[0]:
            return super().pack_command(*args)
        for arg in args:
            if type(arg) not in _PLAIN:
                return super().pack_command(*args)
        return [hiredis.pack_command(args)]


RedisFactory = Callable[[], Redis]


def redis_factory_for(settings: Settings) -> RedisFactory:
    """A factory of clients for settings.redis_url with a blocking pool (waits instead of failing at the cap)."""
    if not settings.redis_url:
        raise ValueError("redis_url is not set (the CLI starts the embedded server and sets it)")
    url = settings.redis_url

    def factory() -> Redis:
        pool = BlockingConnectionPool.from_url(
            url,
            connection_class=HiredisPackingConnection,
            max_connections=settings.redis_pool_size,
            timeout=5,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=10,
            health_check_interval=30,
        )
        return Redis.from_pool(pool)  # the client owns the pool and closes it on aclose()

    return factory

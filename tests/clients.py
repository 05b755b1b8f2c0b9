"""Redis clients for tests: pools that wait at their cap (as the service's do) instead of raising."""

from redis.asyncio import BlockingConnectionPool, Redis


def blocking_client(url: str, *, decode: bool = True) -> Redis:
    """A client of `url` whose pool (redis-py's default cap, 100) makes the 101st concurrent command wait."""
    return Redis.from_pool(BlockingConnectionPool.from_url(url, decode_responses=decode, timeout=30))

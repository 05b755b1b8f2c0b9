"""Translates redis-py failures the caller can only wait out into the domain's StoreUnavailable.

That is an unreachable server, and a server that answers but refuses writes for now: out of memory
(`maxmemory` with `noeviction`), a read-only replica (a failover under way), a failed disk save.
Any of these is a 503 with Retry-After, never a 500. Redis checks each of them before a script
runs, so the refused call has written nothing.
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.domain.errors import StoreUnavailable

P = ParamSpec("P")
T = TypeVar("T")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
REFUSALS = {  # error code → what the client is told
    "OOM": "the state store is out of memory",
    "READONLY": "the state store is a read-only replica (a failover may be under way)",
    "MISCONF": "the state store cannot save to disk",
    "MASTERDOWN": "the state store has lost its primary",
    "NOREPLICAS": "the state store has too few replicas to accept writes",
}


def refusal(exc: ResponseError) -> str | None:
    """What a Redis error reply that only time or an operator can fix means; None for any other error."""
    if isinstance(exc, OutOfMemoryError):  # redis-py strips these two codes from the message
        return REFUSALS["OOM"]
    if isinstance(exc, ReadOnlyError):
        return REFUSALS["READONLY"]
    return REFUSALS.get(str(exc).split(" ", 1)[0])


def unavailable(exc: BaseException) -> StoreUnavailable | None:
    """The StoreUnavailable that an exception from the Redis client amounts to; None when it is something else."""
    if isinstance(exc, UNAVAILABLE):
        return StoreUnavailable()
    if isinstance(exc, ResponseError) and (reason := refusal(exc)) is not None:
        return StoreUnavailable(reason)
    return None


def translated(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Decorate a store coroutine so that an unreachable or refusing Redis raises StoreUnavailable."""

    @wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except (*UNAVAILABLE, ResponseError) as exc:
            if (error := unavailable(exc)) is None:
                raise
            raise error from exc

    return wrapper

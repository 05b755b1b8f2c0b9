"""Redis clients: a blocking-pool factory, and a connection that costs less per command than redis-py's.

Measured per command on the benchmark machine (`tests/bench/cpu.py`), redis-py 5's asyncio connection
(the newest arq allows) spends more than the round trip itself: it packs in Python, it wraps every
write with a socket timeout in `asyncio.wait_for` (a new task on Python 3.11: two more event-loop
passes), and before every command it polls the idle socket with a zero timeout (one more pass,
i.e. one more `epoll_wait`). `FastConnection` keeps the protocol and behaviour and drops those costs.
"""

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import hiredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.settings import Settings

SENTINEL_SCHEME = "redis+sentinel"
_PLAIN = frozenset({str, bytes, int})  # exact types: bool and str subclasses go the slow way


class FastConnection(Connection):
    """Same protocol, same behaviour: hiredis packing, task-free writes, an idle check without a loop pass."""

    def pack_command(self, *args: Any) -> list[bytes]:
        """Pack one command; fall back to redis-py for multi-word names and unusual argument types."""
        if isinstance(args[0], str) and " " in args[0]:
            return super().pack_command(*args)
        for arg in args:
            if type(arg) not in _PLAIN:
                return super().pack_command(*args)
        return [hiredis.pack_command(args)]

    async def send_packed_command(self, command: bytes | str | Iterable[bytes], check_health: bool = True) -> None:
        """Write one packed command; only a full write buffer waits, under `asyncio.timeout`, not in a new task."""
        if not self.is_connected:
            await self.connect()  # type: ignore[no-untyped-call]
        elif check_health:
            await self.check_health()  # type: ignore[no-untyped-call]
        if isinstance(command, str):
            command = command.encode()
        try:
            writer = self._writer
            assert writer is not None
            if isinstance(command, bytes):
                writer.write(command)
            else:
                writer.writelines(command)
            if writer.transport.get_write_buffer_size():
                async with asyncio.timeout(self.socket_timeout):
                    await writer.drain()
        except TimeoutError:
            await self.disconnect(nowait=True)
            raise RedisTimeoutError("Timeout writing to socket") from None
        except OSError as e:
            await self.disconnect(nowait=True)
            raise RedisConnectionError(f"Error while writing to socket: {e}") from e
        except BaseException:
            await self.disconnect(nowait=True)  # a half-written command leaves the connection unusable
            raise

    async def can_read_destructive(self) -> bool:
        """Whether an idle connection has unread data (True) or is closed (raises), from what the loop already read.

        The pool asks before lending a connection; the stream already holds any bytes that arrived
        and the EOF of a server that hung up, so no zero-timeout read (and loop pass) is needed.
        """
        stream, writer = self._reader, self._writer
        if stream is None or writer is None or writer.transport.is_closing():
            raise RedisConnectionError("Connection closed.")
        if stream.exception() is not None or stream.at_eof():
            raise RedisConnectionError("Connection closed by server.")
        parser_buffer = getattr(self._parser, "_reader", None)
        buffered = bool(getattr(stream, "_buffer", b""))  # StreamReader keeps received bytes here
        return buffered or (isinstance(parser_buffer, hiredis.Reader) and bool(parser_buffer.has_data()))


class FastBlockingPool(BlockingConnectionPool):
    """A blocking pool that lends an idle connection at once, without the lock and timer of the waiting path."""

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> AbstractConnection:
        """An idle connection when there is one (checked as usual); otherwise wait as BlockingConnectionPool does."""
        if not self._available_connections or self._condition.locked():
            waited: AbstractConnection = await super().get_connection()
            return waited
        connection = self._available_connections.pop()
        self._in_use_connections.add(connection)
        try:
            await self.ensure_connection(connection)
        except BaseException:
            await self.release(connection)
            raise
        return connection


class FastSentinelConnection(SentinelManagedConnection, FastConnection):
    """A connection to whichever server the Sentinels name as primary, with FastConnection's costs."""


class FastSentinelPool(SentinelConnectionPool, FastBlockingPool):
    """The Sentinel-managed pool, blocking at its cap like the plain one."""


@dataclass(frozen=True, slots=True)
class SentinelAddress:
    """Where a `redis+sentinel://` URL points: the Sentinels, the monitored primary's name, db and password."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    password: str | None = None


def sentinel_address(url: str) -> SentinelAddress | None:
    """`redis+sentinel://[:password@]host:port[,host:port…]/service[/db]` parsed; None for any other URL."""
    prefix = f"{SENTINEL_SCHEME}://"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    credentials, _, rest = rest.rpartition("@")
    hosts, _, path = rest.partition("/")
    parts = [unquote(p) for p in path.split("/") if p]
    if not hosts or not parts or len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
        raise ValueError(f"REDIS_URL must look like {prefix}host:26379[,host:26379…]/service[/db]")
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"REDIS_URL: every Sentinel needs host:port, got {host!r}")
        sentinels.append((name.strip("[]"), int(port)))
    password = unquote(credentials.partition(":")[2]) if credentials else None
    return SentinelAddress(sentinels, parts[0], int(parts[1]) if len(parts) == 2 else 0, password or None)


RedisFactory = Callable[[], Redis]


def redis_factory_for(settings: Settings) -> RedisFactory:
    """A factory of clients for settings.redis_url with a blocking pool (waits instead of failing at the cap)."""
    if not settings.redis_url:
        raise ValueError("redis_url is not set (the CLI starts the embedded server and sets it)")
    url = settings.redis_url
    options: dict[str, Any] = {
        "max_connections": settings.redis_pool_size,
        "timeout": 5,
        "decode_responses": True,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        "health_check_interval": 30,
    }
    sentinel = sentinel_address(url)

    def factory() -> Redis:
        if sentinel is not None:  # the primary is whichever server the Sentinels name, asked at each connect
            sentinel_options = {"socket_connect_timeout": 2, "socket_timeout": 2}
            manager = Sentinel(sentinel.sentinels, sentinel_kwargs=sentinel_options)  # type: ignore[no-untyped-call]
            client: Redis = manager.master_for(
                sentinel.service, redis_class=Redis, connection_pool_class=FastSentinelPool,
                connection_class=FastSentinelConnection, db=sentinel.db, password=sentinel.password, **options,
            )  # fmt: skip
            return client
        pool = FastBlockingPool.from_url(url, connection_class=FastConnection, **options)
        return Redis.from_pool(pool)  # the client owns the pool and closes it on aclose()

    return factory

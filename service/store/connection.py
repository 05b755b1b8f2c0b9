"""Redis clients: a blocking-pool factory, and a connection that costs less per command than redis-py's.

Measured per command on the benchmark machine (`tests/bench/cpu.py`), redis-py 8's asyncio connection
spends more than the round trip itself: it packs in Python, and it wraps every write with a socket
timeout in `asyncio.wait_for` (a new task on Python 3.11: two more event-loop passes); its pool takes
a lock and a condition for every connection it lends. `FastConnection` and `FastBlockingPool` keep
the protocol and behaviour and drop those costs.
"""

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import unquote

import hiredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.maint_notifications import MaintNotificationsConfig

from service.settings import Settings

SENTINEL_SCHEME = "redis+sentinel"
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")  # rediss: TLS to every node
CLUSTER_CONNECTIONS_PER_POOL = 4  # a cluster node's connection cap, in pool sizes (redis-py's does not wait)
AnyRedis = Redis | RedisCluster  # what the stores take: one server (or Sentinel-managed), or a cluster
_PLAIN = frozenset({str, bytes, int})  # exact types: bool and str subclasses go the slow way


class FastConnection(Connection):
    """Same protocol, same behaviour: hiredis packing and task-free writes."""

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


class FastBlockingPool(BlockingConnectionPool):
    """A blocking pool that lends an idle connection at once, without the lock and timer of the waiting path."""

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> AbstractConnection:
        """An idle connection when there is one (checked as usual); otherwise wait as BlockingConnectionPool does."""
        if not self._available_connections or self._condition.locked():
            waited: AbstractConnection = await super().get_connection()  # type: ignore[no-untyped-call]
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
    sentinels = _host_ports(hosts, "Sentinel")
    password = unquote(credentials.partition(":")[2]) if credentials else None
    return SentinelAddress(sentinels, parts[0], int(parts[1]) if len(parts) == 2 else 0, password or None)


def _host_ports(hosts: str, what: str) -> list[tuple[str, int]]:
    """`host:port[,host:port…]` of a URL as pairs ([v6] brackets dropped); ValueError naming `what` otherwise."""
    found = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"REDIS_URL: every {what} needs host:port, got {host!r}")
        found.append((name.strip("[]"), int(port)))
    return found


@dataclass(frozen=True, slots=True)
class ClusterAddress:
    """Where a `redis+cluster://` URL points: some of the nodes (a client finds the others), credentials, TLS."""

    nodes: list[tuple[str, int]]
    username: str | None = None
    password: str | None = None
    tls: bool = False


def cluster_address(url: str) -> ClusterAddress | None:
    """`redis+cluster://[user:password@]host:port[,host:port…]` (or `rediss+cluster://`) parsed; None otherwise."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in CLUSTER_SCHEMES:
        return None
    credentials, _, hosts = rest.rpartition("@")
    nodes = _host_ports(hosts.rstrip("/"), "cluster node")
    user, _, password = credentials.partition(":")
    return ClusterAddress(nodes, unquote(user) or None, unquote(password) or None, scheme == CLUSTER_SCHEMES[1])


def cluster_client(address: ClusterAddress, pool_size: int) -> RedisCluster:
    """A cluster client (RESP2, str replies) that follows MOVED/ASK and refreshes the slot map on failover."""
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
        username=address.username,
        password=address.password,
        ssl=address.tls,
        decode_responses=True,
        protocol=2,
        max_connections=pool_size * CLUSTER_CONNECTIONS_PER_POOL,
        socket_connect_timeout=2,
        socket_timeout=10,
        health_check_interval=30,
    )


RedisFactory = Callable[[], AnyRedis]
C = TypeVar("C", bound=Redis)


def redis_factory_for(settings: Settings) -> RedisFactory:
    """A factory of clients for settings.redis_url: a cluster client, or one with a blocking pool (waits at the cap)."""
    cluster = cluster_address(settings.redis_url or "")
    if cluster is not None:
        return lambda: cluster_client(cluster, settings.redis_pool_size)
    return client_factory(settings.redis_url, settings.redis_pool_size, Redis)


def client_factory(url: str | None, pool_size: int, client_class: type[C], *, decode: bool = True) -> Callable[[], C]:
    """A factory of `client_class` clients for `url` (plain or Sentinel), each with its own blocking pool.

    `decode`: replies as str (ours) or as bytes (arq's, whose jobs are pickled).
    """
    if not url:
        raise ValueError("redis_url is not set (the CLI starts the embedded server and sets it)")
    options: dict[str, Any] = {
        "max_connections": pool_size,
        "timeout": 5,
        "decode_responses": decode,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        "health_check_interval": 30,
        "protocol": 2,  # RESP2, as measured and parsed everywhere here (redis-py 8 defaults to RESP3)
        # Off, not redis-py 8's "auto": in "auto" its pool skips the check that a lent connection
        # is clean and open, and lends one the server has closed (tests/store/test_connection.py).
        "maint_notifications_config": MaintNotificationsConfig(enabled=False),
    }
    sentinel = sentinel_address(url)

    def factory() -> C:
        if sentinel is not None:  # the primary is whichever server the Sentinels name, asked at each connect
            sentinel_options = {"socket_connect_timeout": 2, "socket_timeout": 2}
            manager = Sentinel(sentinel.sentinels, sentinel_kwargs=sentinel_options)  # type: ignore[no-untyped-call]
            client: C = manager.master_for(
                sentinel.service, redis_class=client_class, connection_pool_class=FastSentinelPool,
                connection_class=FastSentinelConnection, db=sentinel.db, password=sentinel.password, **options,
            )  # fmt: skip
            return client
        pool = FastBlockingPool.from_url(url, connection_class=FastConnection, **options)
        return cast(C, client_class.from_pool(pool))  # the client owns the pool and closes it on aclose()

    return factory

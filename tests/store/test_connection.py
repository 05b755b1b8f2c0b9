"""The service's Redis connection and pool on a real server: cheaper per command, same safety as redis-py's."""

import asyncio
import contextlib

import msgspec
import pytest
from redis.asyncio import Redis
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.settings import Settings
from service.store.connection import FastBlockingPool, FastConnection, redis_factory_for


def client_for(redis_url: str, pool_size: int = 4) -> Redis:
    """A client made exactly as the service makes them."""
    settings = msgspec.structs.replace(Settings(redis_url=redis_url), redis_pool_size=pool_size)
    client = redis_factory_for(settings)()
    assert isinstance(client, Redis)
    return client


def pool_of(client: Redis) -> FastBlockingPool:
    pool = client.connection_pool
    assert isinstance(pool, FastBlockingPool)
    return pool


def idle_connection(client: Redis) -> FastConnection:
    (connection,) = pool_of(client)._available_connections
    assert isinstance(connection, FastConnection)
    return connection


async def test_a_connection_the_server_closed_is_replaced_before_use(redis: Redis, redis_url: str) -> None:
    client = client_for(redis_url)
    try:
        assert await client.ping()
        old = idle_connection(client)
        assert old._reader is not None and old._writer is not None
        host, port = old._writer.get_extra_info("sockname")[:2]
        assert await redis.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}")  # type: ignore[no-untyped-call]
        assert await asyncio.wait_for(old._reader.read(), 5) == b""  # the loop has seen the server hang up
        assert await client.set("conn:replaced", "yes")
        assert await client.get("conn:replaced") == "yes"
    finally:
        await client.aclose()


async def test_unread_bytes_on_an_idle_connection_are_never_taken_for_an_answer(redis_url: str) -> None:
    client = client_for(redis_url)
    try:
        await client.set("conn:stale", "real")
        connection = idle_connection(client)
        assert connection._reader is not None
        connection._reader.feed_data(b"$5\r\nstale\r\n")  # as if an earlier answer had not been read
        assert await connection.can_read()
        assert await client.get("conn:stale") == "real"
    finally:
        await client.aclose()


async def test_many_tasks_share_a_small_pool_and_all_get_answers(redis_url: str) -> None:
    client = client_for(redis_url, pool_size=2)
    try:
        answers = await asyncio.wait_for(asyncio.gather(*(client.incr("conn:shared") for _ in range(200))), 10)
        assert sorted(answers)[-1] - sorted(answers)[0] == 199
        pool = pool_of(client)
        assert len(pool._available_connections) + len(pool._in_use_connections) <= 2
    finally:
        await client.aclose()


async def test_unusual_arguments_are_packed_by_redis_py(redis_url: str) -> None:
    client = client_for(redis_url)
    try:
        await client.set("conn:float", 1.5)  # a float is not packed by hiredis here
        await client.execute_command("CONFIG GET", "maxmemory")  # type: ignore[no-untyped-call]  # two-word name
        assert await client.get("conn:float") == "1.5"
    finally:
        await client.aclose()


class Unread:
    """A TCP peer on 127.0.0.1 that accepts and never reads, so a large write fills every buffer and waits."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0
        self.accepted: list[asyncio.StreamWriter] = []
        self.clients: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> "Unread":
        self.server = await asyncio.start_server(lambda _r, w: self.accepted.append(w), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def connect(self) -> FastConnection:
        """A connected FastConnection to the peer, with a short socket timeout and no handshake."""
        connection = FastConnection(host="127.0.0.1", port=self.port, socket_timeout=0.5, driver_info=None, protocol=2)
        await connection.connect()  # type: ignore[no-untyped-call]
        assert connection._writer is not None
        self.clients.append(connection._writer)
        return connection

    async def __aexit__(self, *_: object) -> None:
        for writer in [*self.accepted, *self.clients]:
            writer.transport.abort()  # a transport with unsent bytes would otherwise wait for them forever
        for writer in [*self.accepted, *self.clients]:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.timeout(30)
async def test_a_write_the_peer_does_not_take_times_out_and_drops_the_connection() -> None:
    async with Unread() as peer:
        connection = await peer.connect()
        with pytest.raises(RedisTimeoutError, match="Timeout writing to socket"):
            await connection.send_packed_command(b"x" * 64_000_000)
        assert not connection.is_connected  # a half-written command never reaches another caller


@pytest.mark.timeout(30)
async def test_a_cancelled_write_drops_the_connection() -> None:
    async with Unread() as peer:
        connection = await peer.connect()
        connection.socket_timeout = 30
        writing = asyncio.create_task(connection.send_packed_command(b"x" * 64_000_000))
        done, _ = await asyncio.wait({writing}, timeout=0.2)  # it cannot finish: the peer takes nothing
        assert not done and peer.clients[0].transport.get_write_buffer_size() > 0  # stuck in the write
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
        assert not connection.is_connected

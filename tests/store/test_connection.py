"""The service's Redis connection and pool on a real server: cheaper per command, same safety as redis-py's."""

import asyncio

import msgspec
from redis.asyncio import Redis

from service.settings import Settings
from service.store.connection import FastBlockingPool, FastConnection, redis_factory_for


def client_for(redis_url: str, pool_size: int = 4) -> Redis:
    """A client made exactly as the service makes them."""
    settings = msgspec.structs.replace(Settings(redis_url=redis_url), redis_pool_size=pool_size)
    return redis_factory_for(settings)()


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
        assert await connection.can_read_destructive()
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

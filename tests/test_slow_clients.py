"""Slow clients cannot hold the service: a body that does not arrive in time is a 408 and the connection closes."""

import asyncio
from collections.abc import Iterator

import pytest

from tests.processes import ServeProcess


@pytest.fixture(scope="module", params=["granian", "uvicorn"])
def api(request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("slow") / "serve.log"
    env = {"REDIS_URL": redis_url, "INTERLOCK_BODY_TIMEOUT_S": "1", "INTERLOCK_SERVER": request.param}
    proc = ServeProcess(env, log=log)
    try:
        yield proc.wait_ready().url
    finally:
        proc.stop()


async def stalled_post(port: int) -> bytes:
    """Headers and 10 of 100 body bytes, then nothing: the whole answer, read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /interrupts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n" + b'{"agentId"')  # fmt: skip
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        rest = await asyncio.wait_for(reader.read(), 15)  # returns only at EOF: the server closed the connection
        return head + rest
    finally:
        writer.close()


@pytest.mark.timeout(60)
async def test_a_stalled_body_gets_408_and_the_connection_closes(api: str) -> None:
    port = int(api.rsplit(":", 1)[1])
    answers = await asyncio.gather(*(stalled_post(port) for _ in range(20)))
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request body did not arrive in time" in answer


async def stalled_headers(port: int) -> bytes:
    """A request line and one header, then nothing: whatever the server sends before it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 15)  # returns only at EOF: the server closed the connection
    finally:
        writer.close()


@pytest.mark.timeout(60)
async def test_stalled_headers_are_dropped_within_the_timeout(api: str) -> None:
    port = int(api.rsplit(":", 1)[1])
    started = asyncio.get_running_loop().time()
    answers = await asyncio.gather(*(stalled_headers(port) for _ in range(20)))
    assert all(a == b"" or a.startswith(b"HTTP/1.1 408") for a in answers), answers[:2]  # closed, never served
    assert asyncio.get_running_loop().time() - started < 15  # INTERLOCK_BODY_TIMEOUT_S is 1 s here

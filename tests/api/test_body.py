"""Request bodies as an ASGI server hands them over: in several chunks, without a length, or too big."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from redis.asyncio import Redis

from service.app import create_app
from service.store import keys
from tests.asgi import call
from tests.conftest import settings_for

LIMIT = 1024
BODY = json.dumps({"agentId": "a", "userId": "u", "action": "pay", "context": {"note": "x" * 300}}).encode()


@asynccontextmanager
async def started(redis_url: str) -> AsyncIterator[Litestar]:
    """An app with a small body limit, started (in the test's own task, as its lifespan requires)."""
    app = create_app(settings_for(redis_url, max_body_bytes=LIMIT))
    async with app.lifespan():
        yield app


async def post(
    app: Litestar, chunks: list[bytes], headers: list[tuple[bytes, bytes]], *, complete: bool = True
) -> tuple[int, Any]:
    """POST /interrupts with the body in `chunks`; the status and the JSON answer."""
    status, body = await call(app, "POST", "/interrupts", chunks, headers, complete=complete)
    return status, json.loads(body)


@pytest.mark.timeout(30)
async def test_a_body_in_several_chunks_without_a_length_is_read_whole(redis_url: str) -> None:
    async with started(redis_url) as app:
        status, answer = await post(app, [BODY[:10], b"", BODY[10:200], BODY[200:]], [])
    assert status == 201, answer
    assert answer["status"] == "pending"


@pytest.mark.timeout(30)
async def test_a_declared_length_over_the_limit_is_refused_before_reading(redis_url: str) -> None:
    async with started(redis_url) as app:
        status, answer = await post(app, [BODY], [(b"content-length", str(LIMIT + 1).encode())])
    assert status == 413
    assert answer["status"] == 413


@pytest.mark.timeout(30)
async def test_a_streamed_body_over_the_limit_is_refused(redis_url: str) -> None:
    async with started(redis_url) as app:
        status, answer = await post(app, [b"x" * 600, b"x" * 600], [])
    assert status == 413
    assert answer["error"]


@pytest.mark.timeout(30)
async def test_a_client_that_leaves_mid_body_creates_nothing(redis_url: str, redis: Redis) -> None:
    user = f"user-{uuid.uuid4()}"
    body = BODY.replace(b'"u"', json.dumps(user).encode())
    async with started(redis_url) as app:
        status, answer = await post(app, [body[:50], body[50:]], [], complete=False)
    assert status == 400
    assert "disconnected" in answer["error"]
    assert not await redis.exists(keys.user_pending(user))

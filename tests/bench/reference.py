"""The bare-stack reference for the core benchmark: Litestar + msgspec + one EVALSHA per create, one HGETALL per read.

It validates nothing and keeps no indexes: it is the floor our real handlers are measured against.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath
from redis.asyncio import BlockingConnectionPool, Redis

CREATE = """
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'agentId', ARGV[2], 'userId', ARGV[3], 'action', ARGV[4],
  'context', ARGV[5], 'urgency', ARGV[6], 'status', 'pending', 'createdAt', ARGV[7], 'expiresAt', ARGV[8])
redis.call('PEXPIRE', KEYS[1], 3600000)
return 1
"""


class Body(msgspec.Struct):
    """The create body, decoded without validation."""

    agentId: str
    userId: str
    action: str
    context: msgspec.Raw
    urgency: str = "medium"


_decoder = msgspec.json.Decoder(Body)
_encoder = msgspec.json.Encoder()


@post("/interrupts", status_code=201)
async def create(request: Request[Any, Any, Any]) -> Response[bytes]:
    """One EVALSHA."""
    body = _decoder.decode(await request.body())
    interrupt_id = str(uuid.uuid4())
    await request.app.state.create(
        keys=[f"ref:{{{interrupt_id}}}"],
        args=[interrupt_id, body.agentId, body.userId, body.action, bytes(body.context), body.urgency, 0, 0],
    )
    payload = {"interruptId": interrupt_id, "status": "pending", "expiresAt": "x", "reviewUrl": "y"}
    return Response(_encoder.encode(payload), status_code=201, media_type="application/json")


@get("/interrupts/{interrupt_id:str}")
async def read(request: Request[Any, Any, Any], interrupt_id: FromPath[str]) -> Response[bytes]:
    """One HGETALL."""
    fields = await request.app.state.redis.hgetall(f"ref:{{{interrupt_id}}}")
    return Response(_encoder.encode(fields), media_type="application/json")


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Connect with the same pool settings as the service."""
    pool = BlockingConnectionPool.from_url(os.environ["REDIS_URL"], max_connections=64, decode_responses=True)
    app.state.redis = Redis.from_pool(pool)
    app.state.create = app.state.redis.register_script(CREATE)
    yield
    await app.state.redis.aclose()


def app() -> Litestar:
    """Factory for the HTTP server."""
    return Litestar([create, read], lifespan=[lifespan], logging_config=None)

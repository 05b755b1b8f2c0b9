"""Secrets made once and kept in Redis, so every process of a deployment shares them."""

import base64
import os
from typing import cast

from service.store.connection import AnyRedis
from service.store.errors import translated


@translated
async def kept_secret(redis: AnyRedis, key: str, *, prefix: str = "") -> str:
    """The secret at `key`, made (32 random bytes, base64) by the first caller that finds none."""
    await redis.set(key, prefix + base64.b64encode(os.urandom(24)).decode(), nx=True)
    kept = cast(str, await redis.get(key))
    return kept

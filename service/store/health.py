"""Readiness probe: is Redis answering, accepting writes, and configured so that no decision can be lost."""

import logging
from typing import NamedTuple

from redis.exceptions import ResponseError

from service.store import keys, layout
from service.store.connection import AnyRedis
from service.store.errors import UNAVAILABLE, refusal

log = logging.getLogger(__name__)


class Readiness(NamedTuple):
    """What the probe found: any problem makes the service unready; `fsync` is Redis's appendfsync, when known."""

    problems: list[str]
    warnings: list[str]
    fsync: str | None = None


class HealthProbe:
    """Checks the Redis server behind the stores."""

    def __init__(self, redis: AnyRedis) -> None:
        self._redis = redis

    async def problems(self) -> Readiness:
        """The problems, warnings and durability mode of the Redis server."""
        try:  # one short-lived write: Redis answers, and is neither full, nor a replica, nor failing to save
            await self._redis.set(keys.write_probe(), "1", px=60_000)
        except ResponseError as exc:
            return Readiness([f"redis refuses writes: {refusal(exc) or exc}"], [])
        except UNAVAILABLE as exc:
            return Readiness([f"redis is not reachable: {type(exc).__name__}"], [])
        try:
            config = await self._redis.config_get("maxmemory-policy")
            config.update(await self._redis.config_get("appendonly"))
            config.update(await self._redis.config_get("appendfsync"))
        except ResponseError:
            warning = "CONFIG is disabled on the Redis server: durability and eviction settings were not checked"
            return Readiness([], [warning])
        except UNAVAILABLE as exc:
            return Readiness([f"redis is not reachable: {type(exc).__name__}"], [])
        problems = [layout.refusal(found)] if (found := await layout.legacy_data(self._redis)) else []
        if config.get("maxmemory-policy") != "noeviction":
            problems.append(f"maxmemory-policy is {config.get('maxmemory-policy')}, must be noeviction")
        if config.get("appendonly") != "yes":
            problems.append("appendonly is off: acknowledged decisions could be lost on restart")
        return Readiness(problems, [], config.get("appendfsync"))

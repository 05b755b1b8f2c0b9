"""Idempotency-Key records: a create's key is claimed in the key's own partition, then the create runs."""

import hashlib

import msgspec

from service.domain.errors import IdempotencyConflict
from service.store import keys
from service.store.connection import AnyRedis
from service.store.ids import IDEMPOTENCY_TTL_MS
from service.store.scripts import source


def fingerprint(request: msgspec.Struct) -> str:
    """What identifies a create's validated body: the same key with another one is a conflict."""
    return hashlib.sha256(msgspec.json.encode(request)).hexdigest()


class IdempotencyRecords:
    """Claims of Idempotency-Keys, kept for IDEMPOTENCY_TTL_MS or the retention if shorter.

    Never longer than the retention: every created record outlives its claim, so a replay can never
    find the claim without the record and make the record again.
    """

    def __init__(self, redis: AnyRedis, *, retention_ms: int) -> None:
        self._claim = redis.register_script(source("idem_claim"))
        self._ttl = min(IDEMPOTENCY_TTL_MS, retention_ms)

    async def claim(self, scope_key: tuple[str, str], request: str, replay: str) -> str | None:
        """None: claimed for this request (`replay` kept); else what an identical first request kept.

        Raises IdempotencyConflict when the key was used with another body (fingerprint `request`).
        """
        reply = await self._claim(keys=[keys.idempotency(*scope_key)], args=[request, replay, self._ttl])
        if reply[0] == "conflict":
            raise IdempotencyConflict()
        return None if reply[0] == "claimed" else str(reply[1])

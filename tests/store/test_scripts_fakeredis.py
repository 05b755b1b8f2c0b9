"""Fast unit tests of the Lua transition scripts on fakeredis (behaviour Redis decides is re-tested on real Redis)."""

import json
from typing import Any

import fakeredis
import msgspec
import pytest

from service.clock import FrozenClock
from service.domain.errors import AlreadyDecided, CannotCancel, IdempotencyConflict
from service.domain.models import Actor, Decision, NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context='{"k":1}', urgency="high", expires_in_ms=60_000)


class FakeRedis(fakeredis.aioredis.FakeRedis):
    """fakeredis, which cannot parse a `#!lua` shebang line: scripts are registered without it.

    (What the shebang makes the server do, refuse keys in other slots, is tested on a real cluster.)
    """

    def register_script(self, script: str | bytes | memoryview) -> Any:
        """The script without its first line when that is a shebang."""
        text = bytes(script).decode() if not isinstance(script, str) else script
        return super().register_script(text.partition("\n")[2] if text.startswith("#!") else text)


@pytest.fixture
def fake() -> fakeredis.aioredis.FakeRedis:
    return FakeRedis(decode_responses=True)


@pytest.fixture
def store(fake: fakeredis.aioredis.FakeRedis, clock: FrozenClock) -> InterruptStore:
    return InterruptStore(fake, clock, retention_ms=3_600_000)


async def test_create_writes_hash_indexes_counters_event_and_deadline(
    store: InterruptStore, fake: fakeredis.aioredis.FakeRedis, clock: FrozenClock
) -> None:
    created = await store.create(NEW)
    stored = await fake.hgetall(keys.interrupt(created.id))
    assert stored["status"] == "pending" and stored["v"] == "1" and stored["context"] == '{"k":1}'
    assert await fake.zscore(keys.user_pending("u"), created.id) == clock.now_ms()
    assert await fake.zscore(keys.deadlines(keys.partition_of(created.id)), created.id) == created.expires_at
    assert await fake.hgetall(keys.user_stats("u")) == {"s:pending": "1", "u:high": "1"}
    assert await fake.lrange(keys.events(created.id), 0, -1) == []  # version 1 is the hash itself
    ttl = await fake.pttl(keys.interrupt(created.id))
    assert 0 < ttl <= 60_000 + 3_600_000


async def test_decide_moves_indexes_and_counters(store: InterruptStore, fake: fakeredis.aioredis.FakeRedis) -> None:
    created = await store.create(NEW)
    result = await store.decide(
        created.id, Decision(decision="rejected", reason="no", actor=Actor(by="alice", via="review-page"))
    )
    assert result.status == "rejected" and result.version == 2
    assert await fake.zscore(keys.user_pending("u"), created.id) is None
    assert await fake.zscore(keys.deadlines(keys.partition_of(created.id)), created.id) is None
    stats = await fake.hgetall(keys.user_stats("u"))
    assert stats["s:pending"] == "0" and stats["s:rejected"] == "1" and stats["dn"] == "1"
    event = json.loads(str(await fake.lindex(keys.events(created.id), -1)))
    assert event == {"v": 2, "status": "rejected", "at": result.decided_at, "decision": "rejected",
                     "decidedAt": result.decided_at, "reason": "no", "by": "alice", "via": "review-page"}  # fmt: skip
    assert 0 < await fake.pttl(keys.interrupt(created.id)) <= 3_600_000


async def test_second_decide_conflicts_and_changes_nothing(store: InterruptStore) -> None:
    created = await store.create(NEW)
    await store.decide(created.id, Decision(decision="approved"))
    with pytest.raises(AlreadyDecided) as raised:
        await store.decide(created.id, Decision(decision="rejected"))
    current = raised.value.current
    assert current is not None
    assert (current["status"], current["decision"]) == ("approved", "approved")
    assert "reason" not in current
    assert (await store.get(created.id)).version == 2


async def test_late_cancel_records_the_expiry(store: InterruptStore, clock: FrozenClock) -> None:
    created = await store.create(NEW)
    clock.advance(60_000)
    with pytest.raises(CannotCancel):
        await store.cancel(created.id)
    stored = await store.get(created.id)
    assert stored.status == "expired" and stored.version == 2


async def test_expire_before_deadline_does_nothing(store: InterruptStore, clock: FrozenClock) -> None:
    created = await store.create(NEW)
    clock.advance(59_999)
    assert await store.expire(created.id) is None
    clock.advance(1)
    expired = await store.expire(created.id)
    assert expired is not None and expired.status == "expired"
    assert await store.expire(created.id) is None


async def test_idempotency_record_replays_and_refuses_other_bodies(store: InterruptStore) -> None:
    first = await store.create(NEW, idempotency=("scope", "k1"))
    again = await store.create(NEW, idempotency=("scope", "k1"))
    assert again.id == first.id and again.replayed
    with pytest.raises(IdempotencyConflict):
        await store.create(msgspec.structs.replace(NEW, action="other"), idempotency=("scope", "k1"))


def test_new_ids_are_uuid4() -> None:
    import uuid

    from service.store.ids import is_valid_id, new_id

    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == value
        assert is_valid_id(value)

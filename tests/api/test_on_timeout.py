"""`onTimeout`: at the deadline an undecided interrupt is decided as asked, by `timeout`, in one compare-and-set."""

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from service.clock import FrozenClock
from service.domain import machine
from service.domain.errors import InterruptConflict
from service.domain.models import Decision, NewInterrupt
from service.store.history import HistoryStore
from service.store.interrupts import InterruptStore

Client = AsyncTestClient[Litestar]


async def create(client: Client, user_id: str, **extra: Any) -> dict[str, Any]:
    body = {"agentId": "ops", "userId": user_id, "action": "Restart the cache", "context": {}, "expiresIn": 60} | extra
    answer = await client.post("/interrupts", json=body)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
async def test_at_the_deadline_it_reads_decided_by_timeout_everywhere_before_and_after_it_is_recorded(
    client: Client, clock: FrozenClock, redis: Redis, user_id: str, outcome: str
) -> None:
    made = await create(client, user_id, onTimeout=outcome)
    interrupt_id = made["interruptId"]
    clock.advance(59_999)
    assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"
    clock.advance(1)
    wanted = {"status": outcome, "decision": outcome, "decidedBy": "timeout",
              "reason": "no decision before the deadline", "decidedAt": made["expiresAt"]}  # fmt: skip
    read = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert {k: read.get(k) for k in wanted} == wanted  # not yet recorded: read as it will be
    assert (await client.get(f"/interrupts/pending/{user_id}")).json() == []
    late = await client.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    assert late.status_code == 409 and late.json()["error"] == f"Interrupt is already {outcome}"
    assert late.json()["current"]["decidedBy"] == "timeout"  # the late decide recorded the timeout outcome itself
    recorded = (await client.get(f"/interrupts/{interrupt_id}")).json()
    assert {k: recorded.get(k) for k in wanted} == wanted
    events = await HistoryStore(redis).read(interrupt_id)
    assert [(e.event, e.channel, e.actor) for e in events][-1] == ("decided", "timeout", "timeout")
    analytics = (await client.get(f"/analytics/{user_id}")).json()
    assert analytics["byStatus"] == {outcome: 1} and analytics["avgResponseTimeMs"] == 60_000


async def test_without_on_timeout_it_expires_and_a_bad_value_is_refused(client: Client, clock: FrozenClock,
                                                                          user_id: str) -> None:  # fmt: skip
    made = await create(client, user_id)
    clock.advance(60_000)
    assert (await client.get(f"/interrupts/{made['interruptId']}")).json()["status"] == "expired"
    for bad in ("approve", "", "cancelled", 1, True):
        refused = await client.post("/interrupts", json={"agentId": "a", "userId": user_id, "action": "x",
                                                          "context": {}, "onTimeout": bad})  # fmt: skip
        assert refused.status_code == 400 and refused.json()["field"] == "onTimeout", bad
        assert refused.json()["error"] == "onTimeout must be approved or rejected"
    assert (await client.post("/interrupts", json={"agentId": "a", "userId": user_id, "action": "x", "context": {},
                                                   "onTimeout": None})).status_code == 201  # fmt: skip


@pytest.mark.timeout(60)
async def test_a_decide_racing_the_timeout_at_the_deadline_gives_one_outcome(redis: Redis, user_id: str) -> None:
    created = FrozenClock()
    store = InterruptStore(redis, created, retention_ms=60_000)
    new = NewInterrupt(agent_id="a", user_id=user_id, action="x", context="{}", urgency="low", expires_in_ms=1_000,
                       on_timeout="approved")  # fmt: skip
    ids = [(await store.create(new)).id for _ in range(200)]
    before = FrozenClock(created.now_ms() + 999)  # a reviewer's decide, one ms before the deadline
    after = FrozenClock(created.now_ms() + 1_000)  # the worker's sweep, at it
    deciding = InterruptStore(redis, before, retention_ms=60_000)
    sweeping = InterruptStore(redis, after, retention_ms=60_000)

    async def decide(interrupt_id: str) -> str | None:
        try:
            return (await deciding.decide(interrupt_id, Decision(decision="rejected"))).status
        except InterruptConflict:
            return None

    async def sweep(interrupt_id: str) -> str | None:
        done = await sweeping.expire(interrupt_id)
        return done.status if done else None

    results = await asyncio.gather(*(asyncio.gather(decide(i), sweep(i)) for i in ids))
    for interrupt_id, (decided, swept) in zip(ids, results, strict=True):
        assert (decided is None) != (swept is None), interrupt_id  # exactly one transition applied
        stored = await store.get(interrupt_id)
        assert stored.status == (decided or swept)
        assert stored.decided_by == ("timeout" if swept else "anonymous")
    outcomes = {r[0] or r[1] for r in results}
    assert outcomes <= {"rejected", "approved"}
    stats = await store.analytics(user_id)
    assert stats.by_status.get(machine.PENDING, 0) == 0 and sum(stats.by_status.values()) == 200

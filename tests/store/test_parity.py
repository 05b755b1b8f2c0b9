"""Parity: every (state, action) pair gives the same verdict and status in domain/machine.py and in Lua."""

import pytest
from redis.asyncio import Redis

from service.clock import FrozenClock
from service.domain import machine
from service.domain.errors import InterruptConflict
from service.domain.machine import Action, Verdict
from service.domain.models import Decision, NewInterrupt
from service.store.interrupts import InterruptStore

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster

EXPIRES_MS = 10_000
STATES = ["pending", "pending-past-deadline", "approved", "rejected", "expired", "cancelled"]


async def arrange(
    store: InterruptStore, clock: FrozenClock, state: str, user_id: str, on_timeout: str | None = None
) -> str:
    new = NewInterrupt(agent_id="a", user_id=user_id, action="x", context="{}", urgency="low", expires_in_ms=EXPIRES_MS,
                       on_timeout=on_timeout)  # fmt: skip
    interrupt_id = (await store.create(new)).id
    if state in ("approved", "rejected"):
        await store.decide(interrupt_id, Decision(decision=state))
    elif state == "cancelled":
        await store.cancel(interrupt_id)
    elif state == "expired":
        clock.advance(EXPIRES_MS)
        await store.expire(interrupt_id)
    elif state == "pending-past-deadline":
        clock.advance(EXPIRES_MS)
    return interrupt_id


async def act(store: InterruptStore, interrupt_id: str, action: Action) -> Verdict:
    try:
        if action in (Action.APPROVE, Action.REJECT):
            await store.decide(interrupt_id, Decision(decision=action.value))
        elif action is Action.CANCEL:
            await store.cancel(interrupt_id)
        elif await store.expire(interrupt_id) is None:
            stored = await store.get(interrupt_id)
            return Verdict.NOT_DUE if stored.status == machine.PENDING else Verdict.CONFLICT
    except InterruptConflict:
        return Verdict.CONFLICT
    return Verdict.APPLIED


@pytest.mark.parametrize("on_timeout", [None, "approved", "rejected"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(Action))
async def test_lua_matches_machine(
    redis: Redis, clock: FrozenClock, user_id: str, state: str, action: Action, on_timeout: str | None
) -> None:
    store = InterruptStore(redis, clock, retention_ms=60_000)
    interrupt_id = await arrange(store, clock, state, user_id, on_timeout)
    before = await store.get(interrupt_id)
    expected = machine.transition(before.status, action, before.expires_at, clock.now_ms(), before.on_timeout)
    verdict = await act(store, interrupt_id, action)
    after = await store.get(interrupt_id)
    assert (verdict, after.status) == expected

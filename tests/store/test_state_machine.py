"""Hypothesis state machine over the store on real Redis.

Terminal states absorb, one terminal event each, one winner per interrupt, nothing pending past its deadline.
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from service.clock import FrozenClock
from service.domain import machine
from service.domain.errors import InterruptConflict
from service.domain.models import Decision, NewInterrupt
from service.store import keys
from service.store.interrupts import InterruptStore
from tests.clients import blocking_client

T = TypeVar("T")


class StoreMachine(RuleBasedStateMachine):
    """Random sequences of create, decide, cancel, expire and clock moves against one store."""

    redis_url = ""
    interrupts = Bundle("interrupts")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = blocking_client(self.redis_url)
        self.clock = FrozenClock()
        self.store = InterruptStore(self.redis, self.clock, retention_ms=3_600_000)
        self.user = f"hyp-{uuid.uuid4()}"
        self.terminal: dict[str, str] = {}  # id → the terminal status first observed
        self.deadlines: dict[str, int] = {}
        self.wins: dict[str, int] = {}

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wait() -> T:
            return await awaitable

        return self.loop.run_until_complete(wait())

    @rule(target=interrupts, expires_s=st.integers(min_value=1, max_value=120))
    def create(self, expires_s: int) -> str:
        new = NewInterrupt(agent_id="a", user_id=self.user, action="x", context="{}", urgency="medium",
                           expires_in_ms=expires_s * 1000)  # fmt: skip
        created = self.run(self.store.create(new))
        self.deadlines[created.id] = created.expires_at
        self.wins[created.id] = 0
        return created.id

    @rule(interrupt_id=interrupts, decision=st.sampled_from(machine.DECISIONS))
    def decide(self, interrupt_id: str, decision: str) -> None:
        try:
            self.run(self.store.decide(interrupt_id, Decision(decision=decision)))
            self.wins[interrupt_id] += 1
        except InterruptConflict:
            pass

    @rule(interrupt_id=interrupts)
    def cancel(self, interrupt_id: str) -> None:
        try:
            self.run(self.store.cancel(interrupt_id))
            self.wins[interrupt_id] += 1
        except InterruptConflict:
            pass

    @rule(interrupt_id=interrupts)
    def expire(self, interrupt_id: str) -> None:
        if self.run(self.store.expire(interrupt_id)) is not None:
            self.wins[interrupt_id] += 1

    @rule(ms=st.integers(min_value=0, max_value=90_000))
    def advance(self, ms: int) -> None:
        self.clock.advance(ms)

    @invariant()
    def terminal_states_absorb_and_deadlines_hold(self) -> None:
        now = self.clock.now_ms()
        for interrupt_id, deadline in self.deadlines.items():
            record = self.run(self.store.get(interrupt_id))
            seen = record.status_at(now)
            if now >= deadline:
                assert seen != machine.PENDING
            if interrupt_id in self.terminal:
                assert seen == self.terminal[interrupt_id]
            elif seen != machine.PENDING:
                self.terminal[interrupt_id] = seen

    @invariant()
    def at_most_one_winner_and_one_terminal_event(self) -> None:
        for interrupt_id, wins in self.wins.items():
            stored = self.run(self.store.get(interrupt_id))
            events = [json.loads(e) for e in self.run(self.redis.lrange(keys.events(interrupt_id), 0, -1))]
            terminal_events = [e for e in events if e["status"] != machine.PENDING]
            # a late decide/cancel records the expiry itself, so an expiry can win without a caller "winning"
            assert len(terminal_events) == (1 if machine.is_terminal(stored.status) else 0)
            assert wins <= len(terminal_events)
            assert terminal_events == [] or terminal_events[0]["status"] == stored.status
            assert [e["v"] for e in events] == list(range(2, len(events) + 2))  # version 1 is the creation

    @invariant()
    def pending_list_holds_only_live_pending(self) -> None:
        page = self.run(self.store.pending(self.user, limit=1000, cursor=None))
        now = self.clock.now_ms()
        for item in page.items:
            assert item.status_at(now) == machine.PENDING

    def teardown(self) -> None:
        self.run(self.redis.aclose())
        self.loop.close()


@pytest.mark.timeout(300)
def test_store_state_machine(redis_url: str) -> None:
    StoreMachine.redis_url = redis_url
    run_state_machine_as_test(
        StoreMachine,
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )  # fmt: skip

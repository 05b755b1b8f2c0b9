"""An outbox entry that fails every time is given up after a bounded number of reads, and shows as failed."""

import asyncio
from typing import Any

import pytest

from service.clock import SystemClock
from service.domain.models import Decision, NewInterrupt
from service.store import keys
from service.store.deliveries import MAX_DELIVERIES, DeliveryStore
from service.store.interrupts import InterruptStore
from tests.clients import blocking_client
from worker.outbox import OutboxConsumer


class Crashing:
    """A deliverer with a bug that no retry fixes."""

    def __init__(self) -> None:
        self.calls = 0

    async def attempt(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        raise RuntimeError("a bug that no retry fixes")


@pytest.mark.timeout(60)
async def test_an_entry_that_always_crashes_is_given_up_and_listed_failed(worker_url: str) -> None:
    redis = blocking_client(worker_url)
    interrupts = InterruptStore(redis, SystemClock(), retention_ms=60_000)
    deliveries = DeliveryStore(redis, retention_ms=60_000)
    new = NewInterrupt(agent_id="a", user_id="u", action="x", context="{}", urgency="low", expires_in_ms=60_000,
                       callback_url="https://example.com/hook")  # fmt: skip
    made = await interrupts.create(new)
    await interrupts.decide(made.id, Decision(decision="approved"))
    crashing = Crashing()
    unused: Any = None  # the mailers: this test's entries are webhooks only
    consumer = OutboxConsumer(
        deliveries, crashing, unused, unused, unused, unused, name="poison-test", stale_ms=1, claim_every_s=0.01  # type: ignore[arg-type]
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        while True:  # a poll of the stream, bounded by the test timeout
            if not await redis.xlen(keys.outbox(keys.partition_of(made.id))):
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert crashing.calls == MAX_DELIVERIES  # every read was one try, then no more
    assert await redis.zscore(keys.failed_deliveries(keys.partition_of(made.id)), made.id) is not None
    assert (await deliveries.claim_stale("poison-test", min_idle_ms=0, count=10, now_ms=0)) == ([], [])
    await redis.aclose()

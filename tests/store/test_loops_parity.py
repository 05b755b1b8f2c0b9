"""Loop scripts agree with `domain/loops.py` on every vote order for small loops, under every policy."""

import itertools
from collections.abc import AsyncIterator

import pytest

from service.clock import FrozenClock
from service.domain import loops
from service.domain.errors import PromiseConflict
from service.domain.loops import NewLoop
from service.store.loops import LoopStore
from tests.clients import blocking_client

pytestmark = pytest.mark.cluster_too  # also on a Redis Cluster


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[LoopStore]:
    async with blocking_client(redis_url) as client:
        yield LoopStore(client, FrozenClock(), retention_ms=60_000)


def cases() -> list[tuple[str, tuple[int, ...], tuple[bool, ...]]]:
    found = []
    for n in (1, 2, 3):
        policies = ["all", "any", *(f"quorum:{k}" for k in range(1, n + 1))]
        for policy in policies:
            for order in itertools.permutations(range(n)):
                for votes in itertools.product((True, False), repeat=n):
                    found.append((policy, order, votes))
    return found


@pytest.mark.timeout(120)
async def test_every_vote_order_gives_the_domain_outcome(store: LoopStore) -> None:
    for policy, order, votes in cases():
        n = len(order)
        new = NewLoop(name="p", description="", participants=tuple(f"{i}@x.io" for i in range(n)),
                      timeout_ms=60_000, policy=policy)  # fmt: skip
        created = await store.create(new)
        k, accepts, refusals = loops.quorum(policy, n), 0, 0
        expected: str = loops.PENDING
        for index in order:
            vote = votes[index]
            if expected != loops.PENDING:  # decided: every later resolve is refused
                with pytest.raises(PromiseConflict):
                    await store.resolve(created.promise_ids[index], vote)
                continue
            accepts, refusals = accepts + vote, refusals + (not vote)
            expected = loops.outcome(k, n, accepts, refusals)
            done = await store.resolve(created.promise_ids[index], vote)
            assert done.loop_status == expected, (policy, order, votes)
        loop = await store.get(created.id)
        assert loop.status == expected
        closed = [p.state for p in loop.participants if p.state == loops.CANCELLED]
        assert len(closed) == n - accepts - refusals

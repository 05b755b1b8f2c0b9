"""Every script the stores run, run on a real Redis Cluster: each call's keys are in one slot.

The scripts start with `#!lua`, so the cluster refuses one that touches a key outside the slot of its
declared keys (derived keys included: the user's indexes, a loop from its promise) instead of
running it because two slots happen to share a node; the cluster client refuses a call whose
declared keys span slots. The test drives every store method that runs a script and checks that
every script in service/store/lua was run.
"""

import hashlib
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path

import msgspec
import pytest

from service.clock import FrozenClock
from service.domain.loops import NewLoop
from service.domain.models import Decision, HistoryEvent, NewInterrupt
from service.embedded_cluster import EmbeddedCluster
from service.store import keys, scripts
from service.store.deliveries import DeliveryStore
from service.store.history import HistoryStore
from service.store.idempotency import IdempotencyRecords
from service.store.ids import new_id
from service.store.interrupts import InterruptStore
from service.store.loops import LoopStore
from service.store.nudges import NudgeStore
from service.store.slack import SlackStore
from service.store.watching import WatchMarkers
from tests.cluster import RecordingCluster, recording_client, started


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    yield from started(Path(tmp_path_factory.mktemp("cluster")))


@pytest.fixture
async def client(cluster: EmbeddedCluster) -> AsyncIterator[RecordingCluster]:
    redis = recording_client(cluster)
    try:
        yield redis
    finally:
        await redis.aclose()


def every_script_sha() -> dict[str, str]:
    """SHA-1 → name of every script in service/store/lua (the helpers, `_*.lua`, are parts of others)."""
    names = [f.name[:-4] for f in (resources.files("service.store") / "lua").iterdir() if not f.name.startswith("_")]
    return {hashlib.sha1(scripts.source(name).encode()).hexdigest(): name for name in names}


@pytest.mark.timeout(60)
async def test_every_script_runs_on_a_cluster(client: RecordingCluster) -> None:
    clock, retention = FrozenClock(), 3_600_000
    redis: object = client  # the stores take a client of either kind; RedisCluster is not a Redis subclass
    interrupts = InterruptStore(redis, clock, retention_ms=retention)  # type: ignore[arg-type]
    new = NewInterrupt(agent_id="a", user_id="slot-user", action="pay", context="{}", urgency="high",
                       expires_in_ms=60_000, remind_every_ms=1_000)  # fmt: skip
    made = await interrupts.create(new, idempotency=("admin", "k-1"))
    assert (await interrupts.create(new, idempotency=("admin", "k-1"))).id == made.id
    other = await interrupts.create(new)
    late = await interrupts.create(msgspec.structs.replace(new, expires_in_ms=10))
    pending = await interrupts.pending("slot-user", limit=10, cursor=None)
    assert {i.id for i in pending.items} == {made.id, other.id, late.id}
    elsewhere = new_id((keys.user_partition("slot-user") + 1) % keys.PARTITIONS)  # markers in two partitions
    loop_id_elsewhere = elsewhere
    await WatchMarkers(redis).mark({made.id, keys.user_topic("slot-user"), elsewhere}, 5_000)  # type: ignore[arg-type]
    await HistoryStore(redis).add(made.id, HistoryEvent(at=clock.now_ms(), event="review-link", channel="api"))  # type: ignore[arg-type]
    clock.advance(1_000)
    assert await NudgeStore(redis, clock).expire(made.id) is not None  # type: ignore[arg-type]
    assert await SlackStore(redis).posted(made.id, "C1", "1.2")  # type: ignore[arg-type]
    await interrupts.decide(made.id, Decision(decision="approved"))
    await interrupts.cancel(other.id)
    assert await interrupts.expire(late.id) is not None
    assert (await interrupts.analytics("slot-user")).total == 3
    deliveries = DeliveryStore(redis, retention_ms=retention)  # type: ignore[arg-type]
    await deliveries.enqueue_redelivery(made.id, 2)
    assert await deliveries.failed(limit=5, cursor=None) == ([], None)
    await deliveries.ack([f"{keys.partition_of(made.id)}/0-1", f"{keys.partition_of(loop_id_elsewhere)}/0-1"])
    loops = LoopStore(redis, clock, retention_ms=retention)  # type: ignore[arg-type]
    spec = NewLoop(name="n", description="d", participants=("a@example.com", "b@example.com"), timeout_ms=1_000)
    loop = await loops.create(spec, idempotency=("admin", "k-2"))
    assert (await loops.create(spec, idempotency=("admin", "k-2"))).promise_ids == loop.promise_ids
    assert await loops.mark_invitation(loop.id, 0, "sent", 1)
    await loops.resolve(loop.promise_ids[0], True)
    clock.advance(1_000)
    assert await loops.expire(loop.id)
    assert await IdempotencyRecords(redis, retention_ms=retention).claim(("admin", "k-3"), "fp", "x") is None  # type: ignore[arg-type]
    run = {every_script_sha()[sha] for sha in client.scripts_run}
    assert run == set(every_script_sha().values())

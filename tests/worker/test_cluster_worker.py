"""The worker on a real Redis Cluster: webhooks from every partition, retries through arq's own Redis, expiries."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import EmbeddedRedis
from service.embedded_cluster import EmbeddedCluster
from service.settings import Settings
from tests.asgi import local_client
from tests.cluster import started
from tests.conftest import settings_for
from tests.receivers import SECRET, Receiver
from tests.worker.conftest import worker_running

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A cluster of this module's own: the worker consumes every outbox entry it finds."""
    yield from started(Path(tmp_path_factory.mktemp("worker-cluster")))


@pytest.fixture
def cluster_settings(own_cluster: EmbeddedCluster, tmp_path: Path) -> Iterator[Settings]:
    jobs = EmbeddedRedis(tmp_path / "jobs").start()  # arq's job store: a standalone server, as in production
    try:
        yield settings_for(own_cluster.url, jobs_url=jobs.url, webhook_secret=SECRET,
                           webhook_allow_cidrs=("127.0.0.0/8",), retry_scale=0.001)  # fmt: skip
    finally:
        jobs.stop()


@pytest.fixture
async def cluster_api(cluster_settings: Settings) -> AsyncIterator[Client]:
    async with local_client(create_app(cluster_settings)) as client:
        yield client


async def created(api: Client, body: dict[str, Any]) -> str:
    response = await api.post("/interrupts", json={"agentId": "a", "action": "pay", "context": {}} | body)
    assert response.status_code == 201, response.text
    interrupt_id: str = response.json()["interruptId"]
    return interrupt_id


@pytest.mark.timeout(60)
async def test_webhooks_retries_and_expiries_on_a_cluster(
    cluster_api: Client, cluster_settings: Settings, receiver: Receiver
) -> None:
    receiver.respond = lambda path, n: (503, {}) if path == "/flaky" and n == 1 else (200, {})
    users = [f"cluster-user-{n}" for n in range(12)]  # users in partitions on every primary
    async with worker_running(cluster_settings):
        decided = [await created(cluster_api, {"userId": u, "callbackUrl": receiver.url("/decided")}) for u in users]
        for interrupt_id in decided:
            assert (
                await cluster_api.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
            ).is_success
        flaky = await created(cluster_api, {"userId": "flaky-user", "callbackUrl": receiver.url("/flaky")})
        await cluster_api.post(f"/interrupts/{flaky}/decide", json={"decision": "rejected"})
        late = await created(cluster_api, {"userId": "late-user", "expiresIn": 1, "callbackUrl": receiver.url("/late")})
        got = await receiver.wait_for("/decided", len(users))
        retried = await receiver.wait_for("/flaky", 2)  # the retry was scheduled on arq's own Redis
        [expired] = await receiver.wait_for("/late", 1)  # the worker's sweep found the deadline
    assert sorted(g.verified["interruptId"] for g in got if g.verified) == sorted(decided)
    assert [g.verified["status"] for g in retried if g.verified] == ["rejected", "rejected"]
    assert expired.verified == {"interruptId": late, "status": "expired"}

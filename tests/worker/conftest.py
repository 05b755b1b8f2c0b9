"""Worker fixtures: a private Redis database, the worker running in the test's loop, an API client, receivers."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.clock import Clock
from service.settings import Settings
from tests import mailsink
from tests.asgi import local_client
from tests.clients import blocking_client
from tests.conftest import settings_for
from tests.mailsink import MailSink
from tests.receivers import SECRET, Receiver, running
from worker.main import run

WORKER_DB = 7  # the worker consumes every outbox entry of its database: keep other tests' callbacks away


@pytest.fixture
async def worker_url(redis_url: str) -> str:
    """A database of the test server of its own, emptied first."""
    url = f"{redis_url.rstrip('/').rsplit('/', 1)[0] if redis_url.count('/') > 2 else redis_url}/{WORKER_DB}"
    client = blocking_client(url, decode=False)
    await client.flushdb()
    await client.aclose()
    return url


@pytest.fixture
def worker_settings(worker_url: str) -> Settings:
    """Settings for both the API and the worker: loopback callbacks allowed, retries 1000x faster."""
    return settings_for(worker_url, webhook_secret=SECRET, webhook_allow_cidrs=("127.0.0.0/8",), retry_scale=0.001)


@contextlib.asynccontextmanager
async def worker_running(settings: Settings, clock: Clock | None = None) -> AsyncIterator[asyncio.Event]:
    """Run the whole worker in this loop until the block ends (then stop it as SIGTERM would)."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop=stop, clock=clock))
    try:
        yield stop
    finally:
        stop.set()
        await task


@pytest.fixture
async def worker(worker_settings: Settings) -> AsyncIterator[asyncio.Event]:
    """The worker, running."""
    async with worker_running(worker_settings) as stop:
        yield stop


@pytest.fixture
async def api(worker_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An in-process API on the same database (system clock: the worker's deadlines are real)."""
    async with local_client(create_app(worker_settings)) as client:
        yield client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real webhook receiver on loopback that verifies signatures."""
    async with running(Receiver()) as found:
        yield found


@pytest.fixture
def sink() -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""
    with mailsink.running() as found:
        yield found


@pytest.fixture
def mail_settings(worker_settings: Settings, sink: MailSink) -> Settings:
    """The worker's settings with mail going to the sink."""
    return msgspec.structs.replace(
        worker_settings, smtp_url=f"smtp://127.0.0.1:{sink.port}", smtp_from="interlock@example.com"
    )


@pytest.fixture
async def mail_api(mail_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An in-process API client whose app queues mail (SMTP configured)."""
    async with local_client(create_app(mail_settings)) as client:
        yield client

"""The worker's heartbeat and `interlock worker --check`: the compose health check of the worker container."""

import asyncio
import os
import socket
import subprocess
import sys

import pytest

from service.clock import FrozenClock
from service.embedded import free_port
from service.settings import Settings
from service.store.heartbeats import STALE_MS, Heartbeats
from tests.clients import blocking_client
from tests.processes import ROOT
from tests.worker.conftest import worker_running


def check(redis_url: str) -> subprocess.CompletedProcess[str]:
    """`interlock worker --check` as the container runs it (same host as this test's worker)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL"))} | {
        "REDIS_URL": redis_url
    }
    return subprocess.run([sys.executable, "-m", "service", "worker", "--check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip


@pytest.mark.timeout(60)
async def test_a_running_worker_passes_the_check_and_a_silent_one_fails_it(worker_settings: Settings,
                                                                            worker_url: str) -> None:  # fmt: skip
    clock = FrozenClock()
    redis = blocking_client(worker_url)
    beats = Heartbeats(redis, clock)
    try:
        assert not await beats.alive(f"{socket.gethostname()}-")
        failed = await asyncio.to_thread(check, worker_url)
        assert failed.returncode == 1 and "no worker on this host" in failed.stderr
        async with worker_running(worker_settings, clock):
            while True:  # poll (bounded by the test timeout): the first beat comes as the worker starts
                if await beats.alive(f"{socket.gethostname()}-"):
                    break
                await asyncio.sleep(0.02)
            passed = await asyncio.to_thread(check, worker_url)
            assert passed.returncode == 0, passed.stderr
        clock.advance(STALE_MS + 1)  # the worker stopped: its last beat grows old
        assert not await beats.alive(f"{socket.gethostname()}-")
        assert not await beats.alive("another-host-")
    finally:
        await redis.aclose()


@pytest.mark.timeout(60)
async def test_the_check_fails_when_redis_cannot_be_reached() -> None:
    done = await asyncio.to_thread(check, f"redis://127.0.0.1:{free_port()}/0")
    assert done.returncode == 1 and "worker check" in done.stderr

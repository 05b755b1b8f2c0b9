"""/readyz against real servers configured unsafely (or holding an old layout): 503 naming each problem."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.app import create_app
from service.embedded import EmbeddedRedis, free_port
from service.store.layout import refusal
from tests.asgi import local_client
from tests.clients import blocking_client
from tests.conftest import settings_for
from tests.processes import ROOT


async def readyz(server: EmbeddedRedis) -> tuple[int, dict[str, object]]:
    """/readyz of an app on `server`."""
    async with local_client(create_app(settings_for(server.url))) as client:
        answer = await client.get("/readyz")
        return answer.status_code, answer.json()


@pytest.mark.timeout(60)
async def test_an_evicting_server_without_aof_is_not_ready(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, extra=("--maxmemory-policy", "allkeys-lru", "--appendonly", "no")).start()
    try:
        status, body = await readyz(server)
    finally:
        server.stop()
    assert status == 503 and body["status"] == "unready"
    assert body["problems"] == [
        "maxmemory-policy is allkeys-lru, must be noeviction",
        "appendonly is off: acknowledged decisions could be lost on restart",
    ]


@pytest.mark.timeout(60)
async def test_config_disabled_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, extra=("--rename-command", "CONFIG", "")).start()
    try:
        status, body = await readyz(server)
    finally:
        server.stop()
    assert status == 200 and body["problems"] == []
    assert body["warnings"] == [
        "CONFIG is disabled on the Redis server: durability and eviction settings were not checked"
    ]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fsync", ["everysec", "always"])
async def test_readyz_reports_the_fsync_mode(tmp_path: Path, fsync: str) -> None:
    server = EmbeddedRedis(tmp_path, fsync=fsync).start()
    try:
        status, body = await readyz(server)
    finally:
        server.stop()
    assert (status, body["status"], body["fsync"]) == (200, "ready", fsync)


@pytest.mark.timeout(90)
async def test_a_store_of_the_earlier_layout_is_refused_not_served_as_empty(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path).start()
    try:
        async with blocking_client(server.url) as admin:
            await admin.hset("interlock:metrics", "pending:high", "3")  # as the unpartitioned layout left it
        status, body = await readyz(server)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL", "API_KEY"))}
        extra = {"REDIS_URL": server.url, "INTERLOCK_DATA_DIR": str(tmp_path / "d")}
        refused = [
            await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "service", *command], cwd=ROOT,
                                    capture_output=True, text=True, env=env | extra, timeout=60)
            for command in (["serve", "--no-worker", "--port", str(free_port())], ["worker"])
        ]  # fmt: skip
    finally:
        server.stop()
    assert status == 503 and body["problems"] == [refusal(["interlock:metrics"])]
    for done in refused:
        assert done.returncode == 1 and "layout of an earlier Interlock (interlock:metrics)" in done.stderr

"""/readyz against real servers configured unsafely: 503 naming each problem; CONFIG disabled is a warning."""

from pathlib import Path

import pytest

from service.app import create_app
from service.embedded import EmbeddedRedis
from tests.asgi import local_client
from tests.conftest import settings_for


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

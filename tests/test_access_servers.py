"""The bypass corpus over real servers: granian, uvicorn, and deploy/nginx.conf's real nginx in front."""

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.embedded import free_port
from tests.access_corpus import good_body, protected_requests, raw_request, spellings
from tests.conftest import API_KEY, settings_for
from tests.processes import ROOT, ServeProcess, poll_until

pytestmark = pytest.mark.timeout(180)
KEY = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module", params=["granian", "uvicorn"])
def api(request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `interlock serve` with an admin key, under each HTTP server."""
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    proc = ServeProcess({"REDIS_URL": redis_url, "API_KEY_SECRET": API_KEY, "INTERLOCK_SERVER": request.param}, log=log)
    try:
        yield proc.wait_ready().url
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def proxy(api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """deploy/nginx.conf run by the real nginx binary, pointed at the API process instead of the compose DNS name."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (apt-get install nginx-light)")
        pytest.skip("nginx is not installed")
    here = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("resolver 127.0.0.11 valid=2s ipv6=off;", f"access_log off; client_body_temp_path {here};")
    conf = conf.replace("listen 3002;", f"listen 127.0.0.1:{port};").replace("http://api:3002", api)
    conf = conf.replace("events {}", f"pid {here}/nginx.pid;\nerror_log {here}/error.log;\nevents {{}}")
    assert api in conf and f"127.0.0.1:{port}" in conf
    (here / "nginx.conf").write_text(conf)
    proc = subprocess.Popen([nginx, "-p", str(here), "-c", str(here / "nginx.conf"), "-e", str(here / "error.log"),
                             "-g", "daemon off;"])  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert proc.poll() is None, (here / "error.log").read_text()
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        poll_until(answers, "nginx to answer", timeout=20)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def sweep(url: str, redis_url: str, user_id: str, key: dict[str, str] = KEY) -> tuple[str, list[tuple[str, str, int]]]:
    """Every protected route x every spelling without a key; (the interrupt that must stay pending, 2xx/3xx seen)."""
    body = {"agentId": "a", "userId": user_id, "action": "x", "context": {}}
    interrupt_id = httpx.post(f"{url}/interrupts", json=body, headers=key, timeout=10).json()["interruptId"]
    app = create_app(settings_for(redis_url))
    port = int(url.rsplit(":", 1)[1])
    tried = [(m, s, path) for m, path, _ in protected_requests(app, interrupt_id) for s in spellings(path)]

    async def run() -> list[tuple[str, str, int]]:
        gate = asyncio.Semaphore(16)

        async def one(method: str, target: str, path: str) -> tuple[str, str, int]:
            content = good_body(path, user_id) if method == "POST" else b""
            async with gate:
                return method, target, await raw_request(port, method, target, content)

        return await asyncio.gather(*(one(*t) for t in tried))

    answers = asyncio.run(run())
    assert len(answers) > 400
    return interrupt_id, [a for a in answers if 200 <= a[2] < 400 or a[2] == 0]


def assert_unchanged(url: str, interrupt_id: str, user_id: str, key: dict[str, str] = KEY) -> None:
    assert httpx.get(f"{url}/interrupts/{interrupt_id}", headers=key).json()["status"] == "pending"
    assert [it["id"] for it in httpx.get(f"{url}/interrupts/pending/{user_id}", headers=key).json()] == [interrupt_id]


def test_no_spelling_gets_past_the_server_without_a_key(api: str, redis_url: str, user_id: str) -> None:
    interrupt_id, got_in = sweep(api, redis_url, user_id)
    assert got_in == []
    assert_unchanged(api, interrupt_id, user_id)


def test_no_spelling_gets_past_nginx_without_a_key(proxy: str, redis_url: str, user_id: str) -> None:
    interrupt_id, got_in = sweep(proxy, redis_url, user_id)
    assert got_in == []
    assert_unchanged(proxy, interrupt_id, user_id)
    for odd in ("//interrupts", "/%2Finterrupts/pending/bob", "/x/../interrupts", "/interrupts;x=1"):
        assert asyncio.run(raw_request(int(proxy.rsplit(":", 1)[1]), "POST", odd)) == 400, odd

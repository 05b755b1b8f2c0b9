"""Redis unreachable → 503 JSON with Retry-After, never a 500; service recovers when Redis returns."""

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import EmbeddedRedis
from tests.asgi import local_client
from tests.conftest import settings_for

BODY = {"agentId": "a", "userId": "u-down", "action": "x", "context": {}}


@pytest.mark.timeout(60)
async def test_stopping_redis_mid_test_gives_503_then_recovery(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        app = create_app(settings_for(server.url))
        client: AsyncTestClient[Any]
        async with local_client(app) as client:
            created = await client.post("/interrupts", json=BODY)
            assert created.status_code == 201
            interrupt_id = created.json()["interruptId"]
            server.stop()
            calls: list[tuple[str, str, dict[str, Any]]] = [
                ("POST", "/interrupts", {"json": BODY}),
                ("GET", f"/interrupts/{interrupt_id}", {}),
                ("POST", f"/interrupts/{interrupt_id}/decide", {"json": {"decision": "approved"}}),
                ("GET", "/interrupts/pending/u-down", {}),
                ("GET", "/analytics/u-down", {}),
            ]
            for method, path, kwargs in calls:
                response = await client.request(method, path, **kwargs)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["retry-after"] == "1"
                assert response.json()["error"].startswith("Service temporarily unavailable")
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            scrape = await client.get("/metrics")  # still answers: the process's own metrics matter most now
            assert scrape.status_code == 200 and "interlock_redis_up 0.0" in scrape.text
            assert "not reachable" in ready.json()["problems"][0]
            server.start()  # same port, same data dir: the AOF brings the interrupt back
            assert (await client.get(f"/interrupts/{interrupt_id}")).json()["status"] == "pending"
    finally:
        server.stop()

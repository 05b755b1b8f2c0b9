"""Safe with auth off: JSON bodies must say so (415) and a loopback-bound server refuses foreign hosts (421)."""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api.hosts import host_name, is_loopback
from service.app import create_app
from tests.asgi import local_client
from tests.conftest import settings_for

Client = AsyncTestClient[Litestar]
BODY = b'{"agentId":"a","userId":"u-local","action":"x","context":{}}'


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_a_body_not_declared_json_is_415(client: Client, content_type: str | None) -> None:
    request = client.build_request("POST", "/interrupts", content=BODY)
    assert "content-type" not in request.headers
    if content_type is not None:
        request.headers["content-type"] = content_type
    answer = await client.send(request)
    assert answer.status_code == 415
    assert answer.json()["error"] == "Content-Type must be application/json"


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:3002", "127.0.0.1.nip.io", "0.0.0.0"])
async def test_a_loopback_server_refuses_other_hosts(redis_url: str, host: str) -> None:
    async with local_client(create_app(settings_for(redis_url))) as client:
        answer = await client.post(
            "/interrupts", content=BODY, headers={"Host": host, "Content-Type": "application/json"}
        )
    assert answer.status_code == 421, answer.text
    assert answer.json()["error"] == "Misdirected Request"


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:3002", "127.0.0.1:9", "127.8.9.10", "[::1]:3002", "app.localhost", "hitl.example.org"],
)
async def test_loopback_names_and_the_public_host_are_served(redis_url: str, host: str) -> None:
    async with local_client(create_app(settings_for(redis_url, base_url="https://hitl.example.org"))) as client:
        assert (await client.get("/health", headers={"Host": host})).status_code == 200


async def test_a_server_bound_elsewhere_takes_any_host(redis_url: str) -> None:
    async with local_client(create_app(settings_for(redis_url, host="0.0.0.0"))) as client:
        assert (await client.get("/health", headers={"Host": "interlock.internal.example"})).status_code == 200


@pytest.mark.parametrize(("header", "name"), [("a:1", "a"), ("[::1]:80", "[::1]"), ("::1", "::1"), ("x", "x")])
def test_host_name(header: str, name: str, **_: Any) -> None:
    assert host_name(header) == name
    assert is_loopback("[::1]") and not is_loopback("example.com")

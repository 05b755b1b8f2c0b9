"""API-key auth: compat header, Bearer, rotation, public routes."""

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import API_KEY

Client = AsyncTestClient[Any]
BODY = {"agentId": "a", "userId": "u-auth", "action": "x", "context": {}}


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": API_KEY}, {"x-api-key": API_KEY}, {"Authorization": f"Bearer {API_KEY}"},
     {"X-API-Key": "second-key"}],
)  # fmt: skip
async def test_valid_keys_are_accepted(auth_client: Client, headers: dict[str, str]) -> None:
    assert (await auth_client.post("/interrupts", json=BODY, headers=headers)).status_code == 201


@pytest.mark.parametrize(
    "headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"}]
)
async def test_missing_or_wrong_key_is_compat_401(auth_client: Client, headers: dict[str, str]) -> None:
    response = await auth_client.post("/interrupts", json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", f"/interrupts/{uuid.uuid4()}"), ("POST", f"/interrupts/{uuid.uuid4()}/decide"),
     ("DELETE", f"/interrupts/{uuid.uuid4()}"), ("GET", "/interrupts/pending/u"), ("GET", "/analytics/u"),
     ("POST", "/v1/loop/create"), ("GET", f"/v1/loop/deliveries/{uuid.uuid4()}"),
     ("POST", "/inbox-links"), ("GET", f"/interrupts/{uuid.uuid4()}/deliveries"), ("GET", "/deliveries"),
     ("POST", "/mcp")],
)  # fmt: skip
async def test_protected_routes_need_a_key(auth_client: Client, method: str, path: str) -> None:
    assert (await auth_client.request(method, path)).status_code == 401


@pytest.mark.parametrize("path", ["/health", "/readyz", "/openapi.json", "/docs"])
async def test_public_routes_are_open(auth_client: Client, path: str) -> None:
    assert (await auth_client.get(path)).status_code == 200


async def test_unknown_public_route_is_404_json_without_key(auth_client: Client) -> None:
    response = await auth_client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "Not found"


async def test_no_key_configured_means_no_auth(client: Client) -> None:
    assert (await client.post("/interrupts", json=BODY)).status_code == 201

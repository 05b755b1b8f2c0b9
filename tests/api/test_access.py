"""Access on the resolved route: no spelling of a protected path gets in without a key; the role matrix."""

from typing import Any
from urllib.parse import unquote

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.api import access
from service.app import create_app
from service.clock import FrozenClock
from service.domain.roles import Role
from tests.access_corpus import concrete, good_body, protected_requests, spellings
from tests.asgi import call, local_client
from tests.conftest import AGENT_KEY, API_KEY, REVIEWER_KEY, TEST_KEYS, settings_for

Client = AsyncTestClient[Any]
BODY = {"agentId": "a", "userId": "u-access", "action": "x", "context": {}}
KEYS = {Role.AGENT: AGENT_KEY, Role.REVIEWER: REVIEWER_KEY, Role.ADMIN: API_KEY}


def test_every_route_is_in_the_table_and_every_entry_is_a_route(redis_url: str) -> None:
    app = create_app(settings_for(redis_url, keys=TEST_KEYS))
    routes = {access.template(route.path) for route in app.routes}
    assert routes == set(access.ACCESS), "the access table and the route table differ"


def test_an_unlisted_route_stops_the_app(redis_url: str) -> None:
    app = create_app(settings_for(redis_url))
    with pytest.raises(LookupError, match="/interrupts"):
        access.assign(app, {k: v for k, v in access.ACCESS.items() if k != "/interrupts"})


async def test_no_spelling_of_a_protected_path_gets_in_without_a_key(auth_client: Client, user_id: str) -> None:
    made = await auth_client.post("/interrupts", json=BODY | {"userId": user_id}, headers={"X-API-Key": API_KEY})
    interrupt_id = made.json()["interruptId"]
    app: Litestar = auth_client.app
    tried = 0
    for method, path, _ in protected_requests(app, interrupt_id):
        for spelled in spellings(path):
            target = spelled.split("#", 1)[0].split("?", 1)[0]
            status, body = await call(app, method, unquote(target), [good_body(path, user_id)])
            tried += 1
            assert status in (401, 404, 405), (method, spelled, status, body[:200])
    assert tried > 400
    record = await auth_client.get(f"/interrupts/{interrupt_id}", headers={"X-API-Key": API_KEY})
    assert record.json()["status"] == "pending"
    queue = await auth_client.get(f"/interrupts/pending/{user_id}", headers={"X-API-Key": API_KEY})
    assert [it["id"] for it in queue.json()] == [interrupt_id]


@pytest.mark.parametrize("role", [Role.AGENT, Role.REVIEWER, Role.ADMIN])
async def test_role_matrix(auth_client: Client, role: Role) -> None:
    made = await auth_client.post("/interrupts", json=BODY, headers={"X-API-Key": API_KEY})
    interrupt_id = made.json()["interruptId"]
    app: Litestar = auth_client.app
    for method, path, needed in protected_requests(app, interrupt_id):
        if method in ("HEAD", "OPTIONS") or path == "/mcp":
            continue
        headers = {"X-API-Key": KEYS[role], "Content-Type": "application/json"}
        response = await auth_client.request(method, path, headers=headers, content=b"{}")
        if role < needed:
            assert response.status_code == 403, (role, method, path, response.text)
            problem = response.json()
            family = {"success": False, "message": "Forbidden"} if path.startswith("/v1/") else {"error": "Forbidden"}
            assert problem.items() >= family.items()
            assert needed.text in problem["detail"]
        else:
            assert response.status_code not in (401, 403), (role, method, path, response.text)


async def test_wrong_key_on_every_protected_route_is_401(auth_client: Client) -> None:
    app: Litestar = auth_client.app
    for method, path, _ in protected_requests(app, "00000000-0000-4000-8000-000000000000"):
        status, _ = await call(app, method, path, [b"{}"], [(b"x-api-key", b"nope")])
        assert status == (405 if method == "HEAD" and path != "/mcp" else 401), (method, path)


async def test_unknown_route_is_404_with_or_without_a_key(auth_client: Client) -> None:
    for headers in ({}, {"X-API-Key": API_KEY}):
        response = await auth_client.get("/interrupts/no/such/route", headers=headers)
        assert response.status_code == 404
        assert response.json()["error"] == "Not found"


async def test_metrics_need_an_admin_key_unless_made_public(redis_url: str) -> None:
    async with local_client(create_app(settings_for(redis_url, keys=TEST_KEYS), clock=FrozenClock())) as c:
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers={"X-API-Key": REVIEWER_KEY})).status_code == 403
        assert (await c.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"})).status_code == 200
    public = settings_for(redis_url, keys=TEST_KEYS, metrics_public=True)
    async with local_client(create_app(public, clock=FrozenClock())) as c:
        assert (await c.get("/metrics")).status_code == 200


def test_concrete_paths_fill_every_parameter() -> None:
    assert "{" not in concrete("/interrupts/{interrupt_id:str}/decide", "x")

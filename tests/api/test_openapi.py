"""GET /openapi.json is a valid OpenAPI 3.1 document naming every route, with body schemas."""

import re
from typing import Any

from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

Client = AsyncTestClient[Any]


async def test_openapi_is_valid_3_1_and_complete(client: Client) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    paths = doc["paths"]
    expected = {
        "/interrupts": {"post"},
        "/interrupts/{interrupt_id}": {"get", "delete"},
        "/interrupts/{interrupt_id}/decide": {"post"},
        "/interrupts/pending/{user_id}": {"get"},
        "/analytics/{user_id}": {"get"},
        "/health": {"get"},
        "/readyz": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    create = paths["/interrupts"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("CreateInterruptRequest")
    assert "201" in create["responses"]
    assert "CreateInterruptRequest" in doc["components"]["schemas"]


async def test_docs_ui_is_served_from_installed_assets_under_a_strict_policy(client: Client) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy and "default-src 'none'" in policy
    referenced = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert referenced and all(url.startswith("/") for url in referenced)  # nothing from a CDN
    assert "<script>" not in response.text  # no inline script: the policy needs none
    for url in referenced:
        asset = await client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"]


async def test_every_operation_says_who_may_call_it_and_how_it_refuses(client: Client) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert set(doc["components"]["securitySchemes"]) == {"apiKey", "bearer"}
    seen = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "delete"):
                continue
            seen += 1
            role = operation["x-interlock-role"]
            assert (operation["security"] == []) == (role == "public"), (path, method)
            codes = set(operation["responses"])
            assert {"400", "404", "421", "503"} <= codes, (path, method)
            assert ({"401", "403"} <= codes) == (role != "public"), (path, method)
            family = "LoopProblem" if path.startswith("/v1/") else "Problem"
            schema = operation["responses"]["503"]["content"]["application/problem+json"]["schema"]
            assert schema["$ref"].endswith(family)
    assert seen > 20
    decide = doc["paths"]["/interrupts/{interrupt_id}/decide"]["post"]
    assert decide["x-interlock-role"] == "reviewer" and {"409", "415", "413", "408"} <= set(decide["responses"])
    assert "422" in doc["paths"]["/interrupts"]["post"]["responses"]
    assert "429" in doc["paths"]["/interrupts/{interrupt_id}/deliveries/redeliver"]["post"]["responses"]


async def test_pages_and_event_streams_are_described_with_their_media_types(client: Client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for page in ("/review/{interrupt_id}", "/inbox/{user_id}"):
        assert "text/html" in paths[page]["get"]["responses"]["200"]["content"], page
        assert "text/html" in paths[page]["get"]["responses"]["403"]["content"], page  # a refusal is a page too
    form = paths["/review/{interrupt_id}/decide"]["post"]
    assert "application/x-www-form-urlencoded" in form["requestBody"]["content"] and "303" in form["responses"]
    for stream in ("/interrupts/{interrupt_id}/events", "/v1/loop/events/{loop_id}", "/review/{interrupt_id}/events",
                   "/inbox-events/{user_id}"):  # fmt: skip
        operation = paths[stream]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"], stream
        if "inbox" not in stream:  # the inbox's feed never ends; the others end with their final state
            assert "204" in operation["responses"], stream  # a reconnect that has the final event
            assert any(p["name"] == "Last-Event-ID" for p in operation["parameters"]), stream
    confirm = paths["/v1/loop/participant/resolve/{promise_id}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/html"} <= set(confirm)  # JSON clients resolve, browsers get the confirm page

"""Every error is JSON: malformed bodies, limits, content types, unknown routes and methods."""

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Any]
HEADERS = {"content-type": "application/json"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail", "error"} <= set(problem)
    assert "Traceback" not in response.text
    return problem


@pytest.mark.parametrize("raw", [b"{bad", b'{"agentId": "a",}', b"\xff\xfe", b"[1, 2"])
async def test_malformed_json_is_400(client: Client, raw: bytes) -> None:
    assert_problem(await client.post("/interrupts", content=raw, headers=HEADERS), 400)


async def test_non_object_body_is_400(client: Client) -> None:
    problem = assert_problem(await client.post("/interrupts", content=b"[1]", headers=HEADERS), 400)
    assert "object" in problem["error"]


async def test_empty_body_reads_as_empty_object(client: Client) -> None:
    problem = assert_problem(await client.post("/interrupts", content=b"", headers=HEADERS), 400)
    assert problem["error"] == "agentId, userId, action, and context are required"


async def test_body_over_64k_is_413(client: Client) -> None:
    big = b'{"agentId":"a","userId":"u","action":"x","context":{"blob":"' + b"x" * 70_000 + b'"}}'
    assert_problem(await client.post("/interrupts", content=big, headers=HEADERS), 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
async def test_wrong_content_type_is_415(client: Client, content_type: str) -> None:
    response = await client.post("/interrupts", content=b"{}", headers={"content-type": content_type})
    assert_problem(response, 415)


async def test_json_with_charset_is_accepted(client: Client) -> None:
    body = b'{"agentId":"a","userId":"u","action":"x","context":{}}'
    response = await client.post(
        "/interrupts", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201


async def test_unknown_route_is_404_json(client: Client) -> None:
    assert_problem(await client.get("/nowhere"), 404)


async def test_wrong_method_is_405_json(client: Client) -> None:
    assert_problem(await client.put("/interrupts", json={}), 405)

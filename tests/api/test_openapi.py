"""GET /openapi.json is a valid OpenAPI 3.1 document naming every route, with body schemas."""

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


async def test_docs_ui_is_served(client: Client) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]

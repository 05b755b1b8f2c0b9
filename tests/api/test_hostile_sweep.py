"""Every route of the route table with hostile values in its path parameters, query, headers and body: never a 5xx.

In process, with an admin key (so every handler runs), against a decided interrupt (so waits and streams answer at
once). A handler that raised would show as a 500 and as an `unhandled error` log line: both are checked.
"""

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.conftest import API_KEY

Client = AsyncTestClient[Litestar]
HOSTILE = ["²", "١٢", "nan", "-1", "1_000", "1e999", "0x10", "", " ", "a\r\nb", "\x00", "é" * 300, "x" * 5000,
           "../../etc/passwd", "%00", "{}", "[]", "null", "<script>", "' OR 1=1 --", "\u202e", "\ud800"]  # fmt: skip
PARAMS = ("{interrupt_id:str}", "{user_id:str}", "{user_path:path}", "{loop_id:str}", "{promise_id:str}")
QUERY = ["wait", "limit", "cursor", "accept", "state", "token", "reviewer", "expiresIn"]
HEADERS = ["last-event-id", "idempotency-key", "if-none-match", "accept", "content-type", "x-interlock-channel"]
DEEP = b'{"a":' * 70 + b"1" + b"}" * 70
BODIES = [
    b"", b"{", b"[]", b"null", b'"x"', b"1e999", DEEP, b"\xff\xfe", b'{"decision":[]}',
    b'{"agentId":{},"userId":[],"action":1,"context":"x","urgency":5,"expiresIn":"1","callbackUrl":1}',
    b'{"reviewer":"\\u0000","expiresIn":1e999,"userId":"\\n","participants":"x","loop_name":[],"policy":{}}',
]  # fmt: skip


def wire(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def targets(app: Litestar, interrupt_id: str) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route, each path parameter filled with each hostile value (and a valid id)."""
    found: list[tuple[str, str]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/docs", "/static")):
            continue
        methods = [m for m in route.route_handler_map if m not in ("OPTIONS", "HEAD")]
        values = [interrupt_id, *HOSTILE] if "{" in route.path else [""]
        for method in methods:
            for value in values:
                path = route.path
                for name in (
                    "{interrupt_id:str}",
                    "{user_id:str}",
                    "{user_path:path}",
                    "{loop_id:str}",
                    "{promise_id:str}",
                ):
                    path = path.replace(name, wire(value) or "%20")
                found.append((method, path))
    return found


async def send(client: Client, method: str, path: str, **extra: Any) -> int:
    answer = await asyncio.wait_for(client.request(method, path, **extra), 20)
    return answer.status_code


@pytest.mark.timeout(300)
async def test_no_hostile_value_is_a_server_error(auth_client: Client, caplog: pytest.LogCaptureFixture) -> None:
    admin = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
    body = {"agentId": "a", "userId": "hostile", "action": "x", "context": {}, "callbackUrl": "https://example.com/h"}
    made = (await auth_client.post("/interrupts", json=body, headers=admin)).json()["interruptId"]
    await auth_client.post(f"/interrupts/{made}/decide", json={"decision": "approved"}, headers=admin)
    app: Litestar = auth_client.app
    failures: list[tuple[str, str, str, int]] = []
    seen: set[int] = set()
    sent = 0
    with caplog.at_level(logging.ERROR):
        for method, path in targets(app, made):
            cases: list[tuple[str, dict[str, Any]]] = [("path", {})]
            if "%" not in path:  # the valid id: vary query, headers and body instead
                cases += [(f"query {q}={v!r}", {"params": {q: v}}) for q in QUERY for v in HOSTILE[:12]]
                cases += [(f"header {h}", {"headers": {h.encode(): v.encode("utf-8", "replace")}})
                          for h in HEADERS for v in HOSTILE[:12]]  # fmt: skip
                if method in ("POST", "DELETE"):
                    cases += [(f"body {b[:20]!r}", {"content": b}) for b in BODIES]
            for label, extra in cases:
                headers = {k.encode(): v.encode() for k, v in admin.items()} | extra.pop("headers", {})
                status = await send(auth_client, method, path, headers=headers, **extra)
                sent += 1
                seen.add(status)
                if status >= 500:
                    failures.append((method, path[:80], label, status))
    assert sent > 20_000
    assert {200, 400, 404, 409} <= seen  # handlers ran and refused, not only the router
    assert failures == []
    assert [r.getMessage() for r in caplog.records if "unhandled" in r.getMessage()] == []

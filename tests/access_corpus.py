"""Route-table-driven access checks shared by the in-process, server and proxy tests.

`protected_requests` walks the app's own route table; `spellings` writes one path every way a
client could (doubled slashes, encoded slashes, dot segments, `;` parameters…).
"""

import asyncio
import json
import uuid

from litestar import Litestar
from litestar.routes import ASGIRoute, HTTPRoute

from service.api import access
from service.domain.roles import Role


def good_body(path: str, user_id: str) -> bytes:
    """A body the route would accept, so a request that got past the check would succeed (and show)."""
    body: dict[str, object] = {}
    if path.endswith("/interrupts"):
        body = {"agentId": "a", "userId": user_id, "action": "bypass", "context": {}}
    elif path.endswith("/decide"):
        body = {"decision": "approved"}
    elif path.endswith("/review-links"):
        body = {"reviewer": "mallory@example.com"}
    elif path.endswith("/inbox-links"):
        body = {"userId": user_id}
    elif path.endswith("/v1/loop/create"):
        body = {"loop_name": "n", "loop_description": "d", "participants": ["a@example.com"],
                "participant_timeout": 60000}  # fmt: skip
    return json.dumps(body).encode()


def concrete(path: str, interrupt_id: str) -> str:
    """A route path with every parameter filled (ids with a real interrupt, so a bypass would take effect)."""
    return (
        path.replace("{interrupt_id:str}", interrupt_id)
        .replace("{user_id:str}", "bypass-user")
        .replace("{user_path:path}", "bypass-user")
        .replace("{loop_id:str}", str(uuid.uuid4()))
        .replace("{promise_id:str}", str(uuid.uuid4()))
    )


def protected_requests(app: Litestar, interrupt_id: str) -> list[tuple[str, str, Role]]:
    """(method, path, role) for every route and method of `app` that needs a key, HEAD/OPTIONS included."""
    found: list[tuple[str, str, Role]] = []
    for route in app.routes:
        methods = list(route.route_handler_map) if isinstance(route, HTTPRoute) else ["GET", "POST"]
        assert isinstance(route, HTTPRoute | ASGIRoute)
        for method in methods:
            role = access.required(access.ACCESS, route.path, method if isinstance(route, HTTPRoute) else access.ANY)
            if role is not Role.PUBLIC:
                found.append((method, concrete(route.path, interrupt_id), role))
        if any(m == "GET" for m in methods) and all(m != "HEAD" for m in methods):
            role = access.required(access.ACCESS, route.path, "GET" if isinstance(route, HTTPRoute) else access.ANY)
            if role is not Role.PUBLIC:
                found.append(("HEAD", concrete(route.path, interrupt_id), role))
    return found


def spellings(path: str) -> list[str]:
    """Ways of writing `path` that a router or proxy might map back onto it."""
    tail = path[1:]
    first, _, rest = tail.partition("/")
    letter = f"%{ord(first[0]):02x}{first[1:]}"
    return [
        path,
        "/" + path,
        "//" + path,
        path.replace("/", "//"),
        "/%2F" + tail,
        "/%2f" + tail,
        path.replace("/", "/%2F")[3:] if path.count("/") > 1 else "/%2F" + tail,
        path + "/",
        path + "//",
        "/." + path,
        "/./" + tail,
        "/x/../" + tail,
        "/%2e/" + tail,
        "/x/%2e%2e/" + tail,
        path.upper(),
        "/" + first.capitalize() + ("/" + rest if rest else ""),
        path + ";x=1",
        f"/{first};x=1" + ("/" + rest if rest else ""),
        "/" + letter + ("/" + rest if rest else ""),
        "/" + first.replace(first[-1], f"%{ord(first[-1]):02X}") + ("/" + rest if rest else ""),
        path + "?x=1",
        path + "#frag",
        "/" + tail.replace("/", "\\"),
    ]


async def raw_request(port: int, method: str, target: str, body: bytes = b"", host: str = "127.0.0.1") -> int:
    """Send one request line exactly as written (no client-side normalisation); the status code, 0 if none."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    try:
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 15)
        parts = line.split()
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    finally:
        writer.close()
        await writer.wait_closed()

"""A local stand-in of Slack's Web API (chat.postMessage, chat.update) that records the calls, and Slack's signing.

slack_sdk's client is pointed at it through SLACK_API_URL; `sign` makes an interaction request the
way Slack signs one (https://api.slack.com/authentication/verifying-requests-from-slack).
"""

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.receivers import body_of

TOKEN = "xoxb-standin-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL_ID = "C0STANDIN"


@dataclass
class SlackStandIn:
    """Answers as the Web API does; `failures[method] = n` answers its first n calls with `failure` (a 503)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    failure: tuple[int, dict[str, Any]] = (503, {"ok": False, "error": "service_unavailable"})
    port: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _messages: int = 0

    @property
    def url(self) -> str:
        """SLACK_API_URL for slack_sdk."""
        return f"http://127.0.0.1:{self.port}/api/"

    def of(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of `method` that was answered ok."""
        return [args for name, args in self.calls if name == method and args.get("_ok")]

    async def wait_for(self, method: str, count: int) -> list[dict[str, Any]]:
        """Block until `method` was answered ok `count` times (bounded by the test's timeout)."""
        async with self.changed:
            await self.changed.wait_for(lambda: len(self.of(method)) >= count)
            return self.of(method)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The ASGI app: check the token, record, answer like Slack."""
        if scope["type"] != "http":
            return
        body = await body_of(receive)
        if body is None:
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        method = scope["path"].removeprefix("/api/")
        args: dict[str, Any] = json.loads(body) if body.startswith(b"{") else {}
        status, answer = self._answer(method, args, headers.get("authorization"))
        async with self.changed:
            self.calls.append((method, args | {"_ok": answer.get("ok", False)}))
            self.changed.notify_all()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    def _answer(self, method: str, args: dict[str, Any], auth: str | None) -> tuple[int, dict[str, Any]]:
        if auth != f"Bearer {TOKEN}":
            return 200, {"ok": False, "error": "invalid_auth"}
        if self.failures.get(method, 0) > 0:
            self.failures[method] -= 1
            return self.failure
        if method == "chat.postMessage":
            self._messages += 1
            if args.get("channel") == "#nowhere":
                return 200, {"ok": False, "error": "channel_not_found"}
            return 200, {"ok": True, "channel": CHANNEL_ID, "ts": f"1700000000.{self._messages:06d}"}
        if method == "chat.update":
            return 200, {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        return 200, {"ok": False, "error": "unknown_method"}


def click(interrupt_id: str, action: str, user: str = "U024BE7LH", username: str = "alice") -> dict[str, Any]:
    """A `block_actions` payload of a click on one of our buttons, as Slack sends it."""
    return {"type": "block_actions", "user": {"id": user, "username": username, "name": username},
            "actions": [{"action_id": action, "value": interrupt_id, "type": "button"}],
            "channel": {"id": CHANNEL_ID}, "container": {"type": "message"}}  # fmt: skip


def sign(
    payload: dict[str, Any], *, at: float | None = None, secret: str = SIGNING_SECRET
) -> tuple[bytes, dict[str, str]]:
    """The form body and headers of an interaction request, signed as Slack signs it."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp,
               "x-slack-signature": f"v0={digest}"}  # fmt: skip
    return body, headers

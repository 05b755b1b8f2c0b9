"""The MCP server's view of the HTTP API: one call, its JSON answer, or an ApiError naming status and message."""

from typing import Any, NamedTuple

import httpx
import msgspec

_decoder = msgspec.json.Decoder()


class ApiError(Exception):
    """The API answered with an error status (or could not be reached: status 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


def _message(body: Any, reason: str) -> str:
    """The most specific explanation an error body offers."""
    if isinstance(body, dict):
        for name in ("detail", "error", "message", "title"):
            if isinstance(body.get(name), str) and body[name]:
                return str(body[name])
    return reason or "error"


class Answer(NamedTuple):
    """A successful answer: its decoded JSON, its bytes (to decode into a Struct) and its headers."""

    data: Any
    content: bytes
    headers: httpx.Headers


class InterlockApi:
    """Calls the REST API through an httpx client (over the network, or in-process for `/mcp`)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        seconds: float = 30.0,
    ) -> Answer:
        """The answer to one request; ApiError for an error status or an unreachable API."""
        content = None if body is None else msgspec.json.encode(body)
        sent = dict(headers or {}) | {"x-interlock-channel": "mcp"}  # the history names the channel
        if content is not None:
            sent["content-type"] = "application/json"
        try:
            response = await self.http.request(
                method, path, content=content, params=params, headers=sent, timeout=seconds
            )
        except httpx.TransportError as exc:
            raise ApiError(0, f"the Interlock API at {self.http.base_url} is unreachable ({type(exc).__name__}: "
                              f"{exc or 'no answer'}); check that it runs and that LOOPIN_API_URL points at it"
                           ) from None  # fmt: skip
        try:
            data = _decoder.decode(response.content) if response.content else None
        except msgspec.DecodeError:
            data = None
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(data, response.reason_phrase))
        return Answer(data, response.content, response.headers)

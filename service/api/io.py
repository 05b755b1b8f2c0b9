"""JSON in and out: the content-type check, the strict body, pre-encoded JSON responses, the Idempotency-Key."""

from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request

from service.asgi.refusals import UnsupportedContentType
from service.asgi.replies import JSON, Reply, raw_header, read_body
from service.domain import jsontext
from service.domain.errors import InvalidField

_encoder = msgspec.json.Encoder()


def is_json_content_type(value: str | None) -> bool:
    """True for application/json and any `+json` type (parameters ignored).

    A missing type does not count: a web page's no-CORS `fetch` can send a body without one (and
    without a preflight), so accepting it would let any page write to a server running without keys.
    """
    if not value:
        return False
    mime = value.split(";", 1)[0].strip().lower()
    return mime == JSON or mime.endswith("+json")


async def json_body(request: Request[Any, Any, Any]) -> bytes:
    """The raw body of a JSON request, checked strict (jsontext.check); 415 unless declared JSON; empty reads `{}`."""
    if not is_json_content_type(raw_header(request, b"content-type")):
        raise UnsupportedContentType("Content-Type must be application/json")
    body = await read_body(request)
    if not body.strip():
        return b"{}"
    jsontext.check(body)
    return body


def json_response(value: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    """A response whose body is `value` encoded once with msgspec."""
    return Reply(_encoder.encode(value), status_code, JSON, headers)


def idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    """The Idempotency-Key header, validated (1 to 255 printable characters)."""
    key = raw_header(request, b"idempotency-key")
    if key is None:
        return None
    if not 0 < len(key) <= 255 or not key.isprintable():
        raise InvalidField("Idempotency-Key must be 1 to 255 printable characters", field="Idempotency-Key")
    return key

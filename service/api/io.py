"""Request bodies in and JSON responses out: content-type checks and pre-encoded responses."""

from typing import Any

import msgspec
from litestar import Request, Response

from service.domain.errors import InvalidField, UnsupportedContentType

_encoder = msgspec.json.Encoder()
JSON = "application/json"


def is_json_content_type(value: str | None) -> bool:
    """True for application/json and any `+json` type (parameters ignored); a missing type counts."""
    if not value:
        return True
    mime = value.split(";", 1)[0].strip().lower()
    return mime == JSON or mime.endswith("+json")


def raw_header(request: Request[Any, Any, Any], name: bytes) -> str | None:
    """One request header straight from the ASGI scope (cheaper than building Litestar's Headers)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def json_body(request: Request[Any, Any, Any]) -> bytes:
    """The raw body of a JSON request; 415 for another declared type; an empty body reads as `{}`."""
    if not is_json_content_type(raw_header(request, b"content-type")):
        raise UnsupportedContentType("Content-Type must be application/json")
    body = await request.body()
    return body if body.strip() else b"{}"


def json_response(value: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    """A response whose body is `value` encoded once with msgspec."""
    return Response(_encoder.encode(value), status_code=status_code, media_type=JSON, headers=headers)


def idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    """The Idempotency-Key header, validated (1 to 255 printable characters)."""
    key = raw_header(request, b"idempotency-key")
    if key is None:
        return None
    if not 0 < len(key) <= 255 or not key.isprintable():
        raise InvalidField("Idempotency-Key must be 1 to 255 printable characters", field="Idempotency-Key")
    return key

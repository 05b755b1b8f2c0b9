"""Page form protection: per-record CSRF tokens (HMAC of a kept secret) and a cross-site request check."""

import base64
import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from service.api.io import raw_header


class CsrfTokens:
    """Tokens bound to one page (e.g. `review:<id>`), signed with a secret every API process shares."""

    def __init__(self, fetch_secret: Callable[[], Awaitable[str]]) -> None:
        self._fetch = fetch_secret
        self._key: bytes | None = None

    async def token(self, scope: str) -> str:
        """The token for forms on the page of `scope`."""
        if self._key is None:
            self._key = (await self._fetch()).encode()
        digest = hmac.digest(self._key, scope.encode(), "sha256")
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def is_valid(self, scope: str, token: str | None) -> bool:
        """True when `token` is the one for `scope` (constant-time)."""
        return bool(token) and hmac.compare_digest(await self.token(scope), token or "")


def is_cross_site(request: Request[Any, Any, Any]) -> bool:
    """True when the browser says the form was posted from another site.

    `Sec-Fetch-Site` decides when present (every current browser sends it). Otherwise a foreign
    `Origin` host does; `Origin: null` proves nothing (our pages' `Referrer-Policy: no-referrer`
    makes browsers send it for their own form posts), so the CSRF token decides then.
    """
    fetch_site = raw_header(request, b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = raw_header(request, b"origin")
    if origin is None or origin == "null":
        return False
    return urlsplit(origin).netloc != (raw_header(request, b"host") or "")

"""Page form protection: the cross-site request check (the tokens themselves are service.domain.tokens)."""

from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from service.asgi.replies import raw_header


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

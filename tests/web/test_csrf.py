"""The cross-site check of page forms: Sec-Fetch-Site decides, else a foreign Origin; `Origin: null` proves nothing."""

from typing import Any

import pytest
from litestar import Request

from service.web.csrf import is_cross_site


def request(**headers: str) -> Request[Any, Any, Any]:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": raw, "query_string": b""}
    return Request(scope)  # type: ignore[arg-type]  # the fields the check reads


@pytest.mark.parametrize(
    ("headers", "cross"),
    [
        ({"sec_fetch_site": "same-origin"}, False),
        ({"sec_fetch_site": "none"}, False),  # typed in the address bar
        ({"sec_fetch_site": "cross-site", "origin": "http://h", "host": "h"}, True),  # the browser's word wins
        ({"sec_fetch_site": "same-site"}, True),  # a sibling subdomain is another site's page
        ({"origin": "http://evil.example", "host": "h"}, True),
        ({"origin": "http://h", "host": "h"}, False),
        ({"origin": "null", "host": "h"}, False),  # our no-referrer pages make browsers send it: the token decides
        ({"host": "h"}, False),  # neither header: the token decides
    ],
)
def test_cross_site_posts_are_told_apart(headers: dict[str, str], cross: bool) -> None:
    assert is_cross_site(request(**headers)) is cross

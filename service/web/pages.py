"""Renders the HTML pages (Jinja2, autoescaped) with the headers every page carries."""

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from service.asgi.replies import HTML, Reply, encode_headers

# every page: no inline script or style, nothing framed, forms only to ourselves, nothing cached or indexed
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Frame-Options": "DENY",
}
ENCODED_HEADERS = encode_headers(HEADERS)
ROBOTS = "User-agent: *\nDisallow: /review/\nDisallow: /inbox/\nDisallow: /v1/loop/participant/\n"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("service.web", "templates"),
        autoescape=True,  # every agent-supplied string is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat() per render
    )


def render(template: str, **context: Any) -> str:
    """The page `template` filled with `context`."""
    return _environment().get_template(template).render(**context)


def fragment(template: str, **context: Any) -> Markup:
    """Part of a page, rendered on its own (to be cached) and placed in a page as it is."""
    return Markup(render(template, **context))  # noqa: S704 - rendered by the autoescaping environment above


def html(body: str, status: int = 200) -> Reply:
    """An HTML page with the security headers every page carries (a finished reply for `-> ASGIApp` handlers)."""
    return Reply(body.encode(), status, HTML, encoded=ENCODED_HEADERS)


def message_page(title: str, text: str, status: int) -> Reply:
    """A plain page saying one thing (not found, forbidden…)."""
    return html(render("message.html", title=title, text=text), status)

"""`/docs`: Swagger UI served from the installed `openapi-ui-bundles` package, with no CDN and no inline script.

The page is static; its assets are the package's files under `/docs/assets/`, and its one script
of ours (`/static/docs.js`) points Swagger UI at `/openapi.json`. Swagger UI sets inline styles,
so only the docs page allows them; scripts, frames and everything else are as strict as the pages.
"""

from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from openapi_ui_bundles import swagger_ui

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Interlock API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


class SwaggerPage(OpenAPIRenderPlugin):
    """The Swagger UI page at /docs (and /docs/swagger)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"])

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page (the same for every request: the document is fetched by the page's script)."""
        return PAGE


def docs_router() -> Router:
    """The router Litestar's OpenAPI plugin fills with the page: it carries the assets and the headers."""
    assets = create_static_files_router(
        path="/assets", directories=[swagger_ui.static_path], include_in_schema=False, cache_control=None
    )
    return Router("/docs", route_handlers=[assets], include_in_schema=False, response_headers=HEADERS)

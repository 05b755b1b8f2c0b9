"""OpenAPI 3.1: Litestar's generated document, completed with body schemas taken from the wire Structs.

Handlers read raw bodies (so compat messages stay exact), so their request and response schemas are
declared with `documented(...)` and merged here from `msgspec.json.schema_components`: one source.
"""

from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get

OPT_KEY = "interlock_doc"


def documented(request: Any, response: Any, status: int = 200) -> dict[str, Any]:
    """Route `opt` naming the request body type and the response type (either may be None)."""
    return {OPT_KEY: (request, response, status)}


def build_document(app: Litestar) -> dict[str, Any]:
    """The full OpenAPI document of `app`."""
    doc: dict[str, Any] = app.openapi_schema.to_schema()
    declared: list[tuple[str, str, Any, Any, int]] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if OPT_KEY in handler.opt:
                for method in handler.http_methods:
                    declared.append((route.path_format, method.lower(), *handler.opt[OPT_KEY]))
    types = [t for _, _, req, resp, _ in declared for t in (req, resp) if t is not None]
    schemas, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    doc.setdefault("components", {}).setdefault("schemas", {}).update(components)
    by_type = dict(zip(map(repr, types), schemas, strict=True))
    for path, method, req, resp, status in declared:
        operation = doc.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        if req is not None:
            body = {"content": {"application/json": {"schema": by_type[repr(req)]}}, "required": True}
            operation["requestBody"] = body
        if resp is not None:
            content = {"application/json": {"schema": by_type[repr(resp)]}}
            operation.setdefault("responses", {})[str(status)] = {"description": "Success", "content": content}
    return doc


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI 3.1 document of every route (built once per process)."""
    state = request.app.state
    if "openapi_bytes" not in state:
        state.openapi_bytes = msgspec.json.encode(build_document(request.app))
    return Response(state.openapi_bytes, media_type="application/json")

"""OpenAPI 3.1: Litestar's generated document, completed with body schemas taken from the wire Structs.

Handlers read raw bodies (so compat messages stay exact), so their request and response schemas are
declared with `documented(...)` and merged here from `msgspec.json.schema_components`: one source.
Security comes from the access table (`api/access.py`) and the problem responses from what every
route can answer (`problem_statuses`), so the document says who may call what and how it refuses.
"""

from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get

from service.api import access
from service.domain.roles import Role

OPT_KEY = "interlock_doc"


def documented(request: Any, response: Any, status: int = 200) -> dict[str, Any]:
    """Route `opt` naming the request body type and the response type (either may be None)."""
    return {OPT_KEY: (request, response, status)}


PROBLEM_JSON = "application/problem+json"
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key (any role)."},
    "bearer": {"type": "http", "scheme": "bearer", "description": "The same key as `Authorization: Bearer`."},
}
_PROBLEM_BASE: dict[str, Any] = {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "field": {"type": "string"}, "current": {"type": "object"},
}  # fmt: skip
PROBLEMS = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "error"],
                "properties": _PROBLEM_BASE | {"error": {"type": "string", "description": "The compat message."}}},
    "LoopProblem": {"type": "object", "required": ["type", "title", "status", "detail", "success", "message"],
                    "properties": _PROBLEM_BASE | {"success": {"const": False}, "message": {"type": "string"}}},
}  # fmt: skip
_REASONS = {400: "Invalid request", 401: "No valid API key", 403: "The key's role may not call this",
            404: "Not found", 408: "The body did not arrive in time", 409: "Conflict with the current state",
            413: "Body too large", 415: "Not declared JSON", 421: "Host not served (DNS rebinding guard)",
            422: "Idempotency-Key reused with another body", 429: "Too soon",
            503: "Redis unavailable; retry"}  # fmt: skip
_CONFLICTS = ("/decide", "/review-links", "/redeliver", "/result/", "/participant/resolve/")


def problem_statuses(path: str, method: str, role: Role, has_body: bool) -> list[int]:
    """The problem statuses an operation can answer."""
    statuses = {400, 404, 421, 503}
    if role is not Role.PUBLIC:
        statuses |= {401, 403}
    if has_body:
        statuses |= {408, 413, 415}
    if method == "delete" or any(part in path for part in _CONFLICTS):
        statuses.add(409)
    if method == "post" and path in ("/interrupts", "/v1/loop/create"):
        statuses.add(422)
    if path.endswith("/redeliver"):
        statuses.add(429)
    return sorted(statuses)


def _refusals(doc: dict[str, Any]) -> None:
    """Security and problem responses on every operation, from the access table."""
    doc.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    doc["components"].setdefault("schemas", {}).update(PROBLEMS)
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            role = access.required(access.ACCESS, path, method.upper())
            operation["security"] = [] if role is Role.PUBLIC else [{"apiKey": []}, {"bearer": []}]
            operation["x-interlock-role"] = role.text
            ref = "LoopProblem" if path.startswith("/v1/") else "Problem"
            content = {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{ref}"}}}
            responses = operation.setdefault("responses", {})
            for status in problem_statuses(path, method, role, "requestBody" in operation or method == "post"):
                responses[str(status)] = {"description": _REASONS[status], "content": content}  # ours, not Litestar's


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
    _refusals(doc)
    return doc


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI 3.1 document of every route (built once per process)."""
    state = request.app.state
    if "openapi_bytes" not in state:
        state.openapi_bytes = msgspec.json.encode(build_document(request.app))
    return Response(state.openapi_bytes, media_type="application/json")

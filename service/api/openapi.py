"""OpenAPI 3.1: Litestar's generated document, completed with body schemas taken from the wire Structs.

Handlers read raw bodies (so compat messages stay exact), so their request and response schemas are
declared with `documented(...)` and merged here from `msgspec.json.schema_components`: one source.
Security comes from the access table (`api/access.py`) and the problem responses from what every
route can answer (`problem_statuses`), so the document says who may call what and how it refuses.
"""

import copy
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


HTML = {"text/html": {"schema": {"type": "string"}}}
SSE = {"text/event-stream": {"schema": {"type": "string", "description": "Server-sent events (text/event-stream)."}}}
_ID = {"name": "interrupt_id", "in": "path", "required": True, "schema": {"type": "string"}}
_USER = {"name": "user_id", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The reviewer's user id (slashes allowed: /inbox/team/alice)."}  # fmt: skip
_LAST_EVENT_ID = {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
                  "description": "The id of the last event a reconnecting client saw."}  # fmt: skip


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": description}


def _page(summary: str, ok: dict[str, Any], refusals: dict[int, str], **extra: Any) -> dict[str, Any]:
    """An operation answering an HTML page (its refusals are pages too); `ok` maps its success status to it."""
    responses = dict(ok)
    responses |= {str(status): {"description": why, "content": HTML} for status, why in refusals.items()}
    return {"summary": summary, "tags": ["pages"], "responses": responses, **extra}


ENDED = {"description": "The reconnecting client already has the final event: stop (EventSource does)."}


def _stream(
    summary: str, events: str, refusals: dict[int, str] | None = None, *, ends: bool = True, **extra: Any
) -> dict[str, Any]:
    """An SSE operation: events while open; 204 once a reconnect already has the final event (when it `ends`)."""
    responses: dict[str, Any] = {"200": {"description": events, "content": SSE}} | ({"204": ENDED} if ends else {})
    responses |= {str(status): {"description": why, "content": HTML} for status, why in (refusals or {}).items()}
    return {"summary": summary, "responses": responses, **extra}


_LINK = [_query("reviewer", "A signed review link's reviewer."), _query("token", "A signed review link's token.")]
# the HTML pages and their feeds, which Litestar does not describe (their handlers answer raw ASGI)
PAGES: dict[str, dict[str, dict[str, Any]]] = {
    "/review/{interrupt_id}": {"get": _page(
        "The review page of an interrupt",
        {"200": {"description": "The page (the decision form while pending, for whoever may decide)", "content": HTML}},
        {403: "The review link is not valid or has expired", 404: "No such interrupt"},
        operationId="ReviewPage", parameters=[_ID, *_LINK])},
    "/review/{interrupt_id}/decide": {"post": _page(
        "The review form's decision",
        {"303": {"description": "Decided (or decided elsewhere first): the page again",
                 "headers": {"Location": {"schema": {"type": "string"}}}}},
        {400: "The form had an error (shown on the page)", 403: "Not sent from its own page, or not allowed",
         404: "No such interrupt"},
        operationId="ReviewDecide", parameters=[_ID],
        requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {name: {"type": "string"} for name in (
                "decision", "reason", "modifiedParams", "csrf", "reviewer", "token")}}}}})},
    "/review/{interrupt_id}/events": {"get": _stream(
        "The review page's live feed", "`state` events, as GET /interrupts/{interrupt_id}/events",
        tags=["pages"], operationId="ReviewEvents", parameters=[_ID, _LAST_EVENT_ID])},
    "/inbox/{user_id}": {"get": _page(
        "A reviewer's inbox", {"200": {"description": "The pending list, most urgent first", "content": HTML}},
        {403: "The inbox link is not valid"},
        operationId="InboxPage", parameters=[_USER, _query("token", "The inbox link's token.")])},
    "/inbox-events/{user_id}": {"get": _stream(
        "The inbox's live feed", "`inbox` events: the list, then its changes", {403: "The inbox link is not valid"},
        ends=False, tags=["pages"],
        operationId="InboxEvents",
        parameters=[_USER, _query("token", "The inbox link's token."), _query("since", "The page's list digest.")])},
}  # fmt: skip
STREAMS = {"/interrupts/{interrupt_id}/events": "`state` events: the interrupt now, then once decided",
           "/v1/loop/events/{loop_id}": "`status` events: the loop now, then after each change"}  # fmt: skip


def _pages_and_streams(doc: dict[str, Any]) -> None:
    """Describe the pages, the SSE feeds (their events, 204, Last-Event-ID) and the loop link's confirm page."""
    paths = doc.setdefault("paths", {})
    paths.update(copy.deepcopy(PAGES))  # the document is completed in place: never share the table's dicts
    for path, events in STREAMS.items():
        operation = paths[path]["get"]
        operation["responses"]["200"] = {"description": events, "content": SSE}
        operation["responses"]["204"] = ENDED
        operation.setdefault("parameters", []).append(_LAST_EVENT_ID)
    confirm = paths["/v1/loop/participant/resolve/{promise_id}"]["get"]["responses"]["200"]
    confirm["content"] |= HTML  # a browser (no Accept: application/json) gets the confirm page
    confirm["description"] = "JSON clients: the promise resolved; browsers: the confirm page"


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
                page = responses.get(str(status), {}).get("content", {}).get("text/html")
                description = responses[str(status)]["description"] if page else _REASONS[status]
                both = content | ({"text/html": page} if page else {})  # a page's refusals may be pages too
                responses[str(status)] = {"description": description, "content": both}  # ours, not Litestar's


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
    _pages_and_streams(doc)
    _refusals(doc)
    return doc


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI 3.1 document of every route (built once per process)."""
    state = request.app.state
    if "openapi_bytes" not in state:
        state.openapi_bytes = msgspec.json.encode(build_document(request.app))
    return Response(state.openapi_bytes, media_type="application/json")

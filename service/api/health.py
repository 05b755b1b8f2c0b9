"""Liveness and readiness: /health (compat) and /readyz (Redis answering and safely configured)."""

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.types import ASGIApp

from service.api import responses
from service.api.access import caller
from service.api.io import json_response
from service.api.openapi import documented
from service.services import services


class ReadyResponse(msgspec.Struct, kw_only=True):
    """GET /readyz."""

    status: str
    problems: list[str]
    warnings: list[str]
    fsync: str | None = None  # Redis's appendfsync: always or everysec (its window: docs/operations.md)


class WhoAmI(msgspec.Struct, kw_only=True):
    """GET /whoami: the label and role of the key the request was made with."""

    label: str
    role: str


class HealthController(Controller):
    """Probes for load balancers and orchestrators."""

    tags = ["health"]

    @get("/health", opt=documented(None, responses.HealthResponse))
    async def health(self) -> ASGIApp:
        """The process is up (compat body)."""
        return json_response(responses.HealthResponse(status="ok", service="loopin-api"))

    @get("/whoami", opt=documented(None, WhoAmI))
    async def whoami(self, request: Request[Any, Any, Any]) -> ASGIApp:
        """Which key this is (its label, never the secret) and its role: what it may call (MCP lists tools by it)."""
        key = caller(request.scope)
        return json_response(WhoAmI(label=key.label, role=key.role.text))

    @get("/readyz", opt=documented(None, ReadyResponse))
    async def ready(self, request: Request[Any, Any, Any]) -> ASGIApp:
        """200 when Redis answers and is configured so nothing acknowledged can be lost; 503 naming why not."""
        found = await services(request).health.problems()
        view = ReadyResponse(status="unready" if found.problems else "ready", problems=found.problems,
                             warnings=found.warnings, fsync=found.fsync)  # fmt: skip
        return json_response(view, 503 if found.problems else 200)

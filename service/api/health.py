"""Liveness and readiness: /health (compat) and /readyz (Redis answering and safely configured)."""

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.types import ASGIApp

from service.api import schemas
from service.api.deps import services
from service.api.io import json_response
from service.api.openapi import documented


class ReadyResponse(msgspec.Struct, kw_only=True):
    """GET /readyz."""

    status: str
    problems: list[str]
    warnings: list[str]


class HealthController(Controller):
    """Probes for load balancers and orchestrators."""

    tags = ["health"]

    @get("/health", opt=documented(None, schemas.HealthResponse))
    async def health(self) -> ASGIApp:
        """The process is up (compat body)."""
        return json_response(schemas.HealthResponse(status="ok", service="loopin-api"))

    @get("/readyz", opt=documented(None, ReadyResponse))
    async def ready(self, request: Request[Any, Any, Any]) -> ASGIApp:
        """200 when Redis answers and is configured so nothing acknowledged can be lost; 503 naming why not."""
        problems, warnings = await services(request).health.problems()
        status = "unready" if problems else "ready"
        return json_response(
            ReadyResponse(status=status, problems=problems, warnings=warnings), 503 if problems else 200
        )

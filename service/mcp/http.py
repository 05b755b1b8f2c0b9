"""`/mcp`: the tools over stateless streamable HTTP, calling the API in-process with the caller's own key.

Stateless, so any API process can answer any request (no session pinned to one process). Each
answer is a short event stream (the transport's default), so a long `wait_for_decision` can send
progress notifications before its result; the proxy in front must not buffer (deploy/nginx does not).
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from litestar import Litestar, asgi
from litestar.types import Receive, Scope, Send
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from service.mcp.client import InterlockApi
from service.mcp.server import build_server, forwarded_credentials
from service.settings import Settings

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATE_KEY = "mcp_manager"


def security_for(settings: Settings) -> TransportSecuritySettings | None:
    """DNS-rebinding protection when bound to loopback (a browser page cannot reach the tools); none otherwise."""
    if settings.host not in _LOOPBACK:
        return None
    hosts = ["127.0.0.1", "localhost", "[::1]"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{h}:*" for h in hosts] + hosts,
        allowed_origins=[f"http://{h}:*" for h in hosts],
    )


def mcp_lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The lifespan hook that starts the MCP session manager once the API's services are up."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar's scope types are narrower
        async with httpx.AsyncClient(transport=transport, base_url="http://interlock.localhost") as http:
            server = build_server(InterlockApi(http), forwarded_credentials)
            manager = StreamableHTTPSessionManager(
                app=server, stateless=True, json_response=False, security_settings=security_for(settings)
            )
            async with manager.run():
                setattr(app.state, STATE_KEY, manager)
                yield

    return lifespan


@asgi("/mcp", include_in_schema=False, copy_scope=True)
async def mcp_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """Hand the request to the MCP transport (the API-key middleware has already checked it)."""
    manager: StreamableHTTPSessionManager = getattr(scope["app"].state, STATE_KEY)
    await manager.handle_request(scope, receive, send)  # type: ignore[arg-type]

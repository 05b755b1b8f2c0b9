"""`interlock mcp`: the tools over stdio, as a client of the HTTP API at LOOPIN_API_URL."""

from collections.abc import Mapping

import httpx
from mcp.server.stdio import stdio_server

from service.mcp.client import InterlockApi
from service.mcp.server import build_server

DEFAULT_URL = "http://localhost:3002"


async def serve_stdio(env: Mapping[str, str]) -> None:
    """Serve MCP on stdin/stdout until the client closes it."""
    url = (env.get("LOOPIN_API_URL") or DEFAULT_URL).rstrip("/")
    key = env.get("LOOPIN_API_KEY")
    headers = {"x-api-key": key} if key else {}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        server = build_server(InterlockApi(http))
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

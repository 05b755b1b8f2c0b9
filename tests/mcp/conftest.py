"""A real `interlock serve` with an API key, and MCP clients of it over stdio and streamable HTTP."""

import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.processes import ROOT, ServeProcess

KEY = "mcp-test-key-0123456789"  # admin
AGENT_KEY = "mcp-agent-key-0123456789"
REVIEWER_KEY = "mcp-reviewer-key-0123456789"


@pytest.fixture(scope="module")
def api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One API process (one HTTP worker, so its /metrics counts every waiter) with auth on."""
    log = tmp_path_factory.mktemp("mcp") / "serve.log"
    env = {"REDIS_URL": redis_url, "API_KEY_SECRET": KEY, "INTERLOCK_AGENT_KEYS": f"bot={AGENT_KEY}",
           "INTERLOCK_REVIEWER_KEYS": f"rita={REVIEWER_KEY}"}  # fmt: skip
    proc = ServeProcess(env, log=log)
    try:
        yield proc.wait_ready()
    finally:
        proc.stop()


def stdio_params(url: str, key: str | None = KEY) -> StdioServerParameters:
    """`interlock mcp` as a subprocess pointed at `url`."""
    env = {"PATH": os.environ.get("PATH", ""), "LOOPIN_API_URL": url}
    if key:
        env["LOOPIN_API_KEY"] = key
    return StdioServerParameters(command=sys.executable, args=["-m", "service", "mcp"], env=env, cwd=str(ROOT))


@asynccontextmanager
async def http_client(url: str, key: str = KEY) -> AsyncIterator[Client]:
    """An MCP client of `url`/mcp presenting `key`."""
    async with (
        httpx2.AsyncClient(headers={"x-api-key": key}, timeout=90) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        yield client


@asynccontextmanager
async def stdio_client(url: str, key: str | None = KEY) -> AsyncIterator[Client]:
    """An MCP client of a fresh `interlock mcp` process."""
    async with Client(stdio_params(url, key)) as client:
        yield client


Connect = Callable[[], AbstractAsyncContextManager[Client]]


@pytest.fixture(params=["stdio", "http"])
def connect(request: pytest.FixtureRequest, api: ServeProcess) -> Connect:
    """Opens an MCP client of the API over each transport (entered in the test's own task, as anyio needs)."""
    make = stdio_client if request.param == "stdio" else http_client
    return lambda: make(api.url)

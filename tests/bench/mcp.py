"""MCP benchmark: decide (REST) → `wait_for_decision` result, over streamable HTTP and over stdio.

Run: `uv run python -m tests.bench.mcp [--rounds 50]`. Starts `interlock serve` (embedded Valkey,
default server settings, an API key) and `interlock mcp` through the SDK's clients. Each round
creates an interrupt by tool, starts a wait, decides through the REST API, and times the wait's
result from the decide's 200.
"""

import argparse
import asyncio
import os
import platform
import tempfile
import time
from pathlib import Path

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from service.embedded import free_port
from tests.bench.core import start_server, wait_http
from tests.mcp.conftest import stdio_params

KEY = "bench-key"
ASK = {"agentId": "bench", "userId": "mcp-bench", "action": "deploy", "context": {"n": 1}}


async def rounds(client: Client, http: httpx.AsyncClient, base: str, count: int) -> list[float]:
    """Lag (ms) from each decide's 200 to the wait's result."""
    await client.list_tools()  # the SDK validates results against the listed output schemas
    lags = []
    for _ in range(count):
        created = await client.call_tool("create_interrupt", ASK)
        interrupt_id = created.structured_content["interruptId"]
        waiting = asyncio.create_task(client.call_tool("wait_for_decision", {"interruptId": interrupt_id}))
        await asyncio.sleep(0.1)  # let the long-poll register (bench only; tests never sleep to sync)
        answer = await http.post(f"{base}/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
        decided = time.perf_counter()
        result = await waiting
        lags.append((time.perf_counter() - decided) * 1000)
        assert answer.status_code == 200 and result.structured_content["status"] == "approved"
    return sorted(lags)


def summary(name: str, lags: list[float]) -> str:
    """p50/p99/max of one transport."""
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    return f"{name:6} n={len(lags)} p50 {lags[len(lags) // 2]:.1f} ms  p99 {p99:.1f} ms  max {lags[-1]:.1f} ms"


async def main(count: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = {"INTERLOCK_DATA_DIR": data, "API_KEY_SECRET": KEY}
        server = start_server(["-m", "service", "serve", "--port", str(port)], env, Path(data) / "serve.log")
        try:
            await asyncio.to_thread(wait_http, f"{base}/health")
            async with httpx.AsyncClient(headers={"x-api-key": KEY}, timeout=70) as http:
                async with (
                    httpx2.AsyncClient(headers={"x-api-key": KEY}, timeout=70) as http2,
                    Client(streamable_http_client(f"{base}/mcp", http_client=http2)) as client,
                ):
                    print(summary("http", await rounds(client, http, base, count)))
                async with Client(stdio_params(base, KEY)) as client:
                    print(summary("stdio", await rounds(client, http, base, count)))
        finally:
            server.terminate()
            server.wait(30)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    asyncio.run(main(parser.parse_args().rounds))

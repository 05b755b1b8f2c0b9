"""Page benchmark: `GET /review/{id}` at 50 connections (wrk), and what one page view transfers.

The JSON read of the same interrupts is measured in the same run, for scale.

Run: `uv run python -m tests.bench.pages [--duration 10] [--connections 50]` (needs `wrk`). Starts
`interlock serve` as a user does (embedded Valkey, default server) with 1,000 pending interrupts and
requests their review pages at random. The transfer is the page plus every asset it references,
as served (no compression), and every reference is checked to be same-origin.
"""

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

from service.embedded import free_port
from tests.bench.core import CONTEXT, random_get_lua, start_server, wait_http, wrk

ASK = {"agentId": "agent-payments-v2", "userId": "page-bench", "action": "Send payment", "context": CONTEXT,
       "urgency": "high"}  # fmt: skip


def transfer(base: str, interrupt_id: str) -> tuple[int, list[str]]:
    """Bytes of the page and its assets, and the assets' URLs (all must be our own paths)."""
    with httpx.Client(base_url=base) as http:
        page = http.get(f"/review/{interrupt_id}")
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assets = [a for a in assets if not a.startswith("/review/")]  # links to itself are not loaded
        total = len(page.content) + sum(len(http.get(a).content) for a in assets)
    return total, assets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="interlock-pages-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"],
                          {"INTERLOCK_DATA_DIR": str(tmp / "data")}, tmp / "serve.log")  # fmt: skip
    try:
        wait_http(f"{base}/health")
        with httpx.Client(base_url=base) as http:
            ids = [http.post("/interrupts", json=ASK).json()["interruptId"] for _ in range(1000)]
        (tmp / "ids.txt").write_text("\n".join(ids) + "\n")
        (tmp / "pages.lua").write_text(random_get_lua(tmp / "ids.txt", "/review/"))
        (tmp / "reads.lua").write_text(random_get_lua(tmp / "ids.txt", "/interrupts/"))
        wrk(base, tmp / "pages.lua", 2, args.connections)  # warm-up
        result = wrk(base, tmp / "pages.lua", args.duration, args.connections)
        reads = wrk(base, tmp / "reads.lua", args.duration, args.connections)
        size, assets = transfer(base, ids[0])
        foreign = [a for a in assets if not a.startswith("/")]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"GET /review/{{id}}, {args.connections} connections: {json.dumps(result)}")
        print(f"for scale, GET /interrupts/{{id}} (JSON) in the same run: {json.dumps(reads)}")
        print(f"one page view: {size} bytes ({size / 1024:.1f} KiB) in {1 + len(assets)} requests: {assets}")
        print(f"third-party references: {foreign or 'none'}")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()

"""Page benchmark: `GET /review/{id}` at 50 connections (wrk), and what one page view transfers.

Each round also measures the review page of interrupts that ask for a ten-field typed answer (a
`responseSchema` rendered as a form), and the JSON read of the same interrupts, for scale.

Run: `uv run python -m tests.bench.pages [--duration 10] [--connections 50] [--rounds 3]` (needs
`wrk`). Starts `interlock serve` as a user does (embedded Valkey, default server) with 1,000 pending
interrupts and requests their review pages at random, then their JSON reads, `--rounds` times. The
transfer is the page plus every asset it references, as served (no compression), and every reference
is checked to be same-origin.

Each run also reports the server's CPU per request (HTTP workers and Redis, from /proc): wall-clock
figures on the shared 2-core machine move by a third between hours, the CPU per request much less.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from service.embedded import free_port
from tests.bench.core import CONTEXT, FORM, random_get_lua, start_server, tree_cpu_seconds, wait_http, wrk

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


def measured(server_pid: int, base: str, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One wrk run, with the server's CPU microseconds per request (its whole process tree)."""
    before = tree_cpu_seconds(server_pid)
    result = wrk(base, script, args.duration, args.connections)
    spent = tree_cpu_seconds(server_pid) - before
    return result | {"server_cpu_us": round(spent / (result["rps"] * args.duration) * 1e6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
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
            typed = ASK | {"responseSchema": FORM}
            form_ids = [http.post("/interrupts", json=typed).json()["interruptId"] for _ in range(1000)]
        (tmp / "ids.txt").write_text("\n".join(ids) + "\n")
        (tmp / "form_ids.txt").write_text("\n".join(form_ids) + "\n")
        (tmp / "pages.lua").write_text(random_get_lua(tmp / "ids.txt", "/review/"))
        (tmp / "forms.lua").write_text(random_get_lua(tmp / "form_ids.txt", "/review/"))
        (tmp / "reads.lua").write_text(random_get_lua(tmp / "ids.txt", "/interrupts/"))
        wrk(base, tmp / "pages.lua", 2, args.connections)  # warm-up
        wrk(base, tmp / "forms.lua", 2, args.connections)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        p99s: dict[str, list[float]] = {"page": [], "form": []}
        for _ in range(args.rounds):
            page = measured(server.pid, base, tmp / "pages.lua", args)
            form = measured(server.pid, base, tmp / "forms.lua", args)
            read = measured(server.pid, base, tmp / "reads.lua", args)
            p99s["page"].append(page["p99_ms"])
            p99s["form"].append(form["p99_ms"])
            print(f"GET /review/{{id}}, {args.connections} connections: {json.dumps(page)}")
            print(f"  the same page with a ten-field answer form: {json.dumps(form)}")
            print(f"  for scale, GET /interrupts/{{id}} (JSON) right after: {json.dumps(read)}")
        for name, found in p99s.items():
            print(f"{name} p99 over {args.rounds} rounds: median {statistics.median(found)} ms, all {sorted(found)}")
        size, assets = transfer(base, ids[0])
        foreign = [a for a in assets if not a.startswith("/")]
        print(f"one page view: {size} bytes ({size / 1024:.1f} KiB) in {1 + len(assets)} requests: {assets}")
        print(f"third-party references: {foreign or 'none'}")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()

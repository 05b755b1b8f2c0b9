"""Core throughput benchmark: `interlock serve` against a bare-stack reference, side by side, with wrk.

Run: `uv run python -m tests.bench.core [--duration 8] [--rounds 5] [--workers 2] [--server granian]
[--fsync everysec|always] [--cluster]` (needs `wrk`: `apt-get install wrk`). `--fsync` sets our embedded
server's INTERLOCK_FSYNC; the reference's Redis stays at `everysec`, the fixed yardstick. `--cluster`
measures `interlock serve --cluster` (three embedded primaries) against `interlock serve` on one
embedded server instead of against the reference. Each round measures
both sides back to back, alternating which goes first; it reports the median run of each side and the
median of the per-round ratios.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from service.embedded import EmbeddedRedis, free_port
from tests.processes import child_pids

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = {
    "vendor": "Acme Supplies", "amount": 4200, "currency": "USD", "invoiceId": "INV-2024-0892",
    "accountLast4": "9821", "note": "x" * 170,
}  # fmt: skip
BODY = json.dumps({"agentId": "agent-payments-v2", "userId": "user-bench", "action": "Send payment",
                   "context": CONTEXT, "urgency": "high", "expiresIn": 3600})  # fmt: skip
CREATE_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%s]]
"""
RANDOM_GET_LUA = """local ids = {}
init = function(args)
  for line in io.lines("%s") do ids[#ids + 1] = line end
end
request = function()
  return wrk.format("GET", "%s" .. ids[math.random(#ids)])
end
"""  # (ids file, path prefix): GET prefix + a random id from the file
# a ten-field typed answer (a responseSchema) and an answer to it: cpu's `decide`, pages' form pages
FORM = {"type": "object", "required": ["account", "amount"], "properties": {
    "account": {"type": "string", "enum": ["operating", "payroll", "reserve"]},
    "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
    "installments": {"type": "integer", "minimum": 1, "maximum": 12},
    "payOn": {"type": "string", "format": "date"},
    "notify": {"type": "string", "format": "email"},
    "receipt": {"type": "string", "format": "uri"},
    "memo": {"type": "string", "maxLength": 140},
    "urgent": {"type": "boolean"},
    "tags": {"type": "array", "items": {"enum": ["tax", "vendor", "refund"]}, "uniqueItems": True},
    "note": {"type": "string", "maxLength": 2000}}}  # fmt: skip
ANSWER = {"account": "payroll", "amount": 4200.5, "installments": 2, "payOn": "2026-12-24", "notify": "ap@example.com",
          "receipt": "https://example.com/r/9", "memo": "December run", "urgent": True, "tags": ["vendor"],
          "note": "Paid in two parts as agreed with the vendor."}  # fmt: skip


def random_get_lua(ids: Path, prefix: str) -> str:
    """A wrk script requesting `prefix` + a random id of the file `ids`."""
    return RANDOM_GET_LUA % (ids, prefix)


def start_server(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("INTERLOCK_", "REDIS_URL", "API_KEY"))}
    full.update(env)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=full, stdout=out, stderr=subprocess.STDOUT)


def start_reference(port: int, redis_url: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The bare-stack reference app (tests/bench/reference.py) under the same server as `interlock serve`."""
    runner = (
        "import os; from service import servers, settings; "
        "servers.run(settings.Settings.from_env(os.environ), 'tests.bench.reference:app')"
    )
    return start_server(["-c", runner], env | {"PORT": str(port), "REDIS_URL": redis_url}, log)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by the live process `pid` and every live process below it."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = child_pids(pid)
    except FileNotFoundError:  # it ended meanwhile
        return 0.0
    total = int(stat[11]) + int(stat[12])  # utime, stime
    return total / ticks + sum(tree_cpu_seconds(child) for child in children)


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(url)


def seed(base: str, count: int, path: Path) -> None:
    with httpx.Client(timeout=10) as http:
        ids = [http.post(f"{base}/interrupts", content=BODY, headers={"content-type": "application/json"}).json()
               ["interruptId"] for _ in range(count)]  # fmt: skip
    path.write_text("\n".join(ids) + "\n")


def wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"], "errors": errors}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default="granian", choices=["granian", "uvicorn"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--fsync", default="everysec", choices=["everysec", "always"])
    parser.add_argument("--cluster", action="store_true", help="ours on an embedded cluster vs ours on one server")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="interlock-bench-"))
    ours_port, ref_port = free_port(), free_port()
    common = {"INTERLOCK_WORKERS": str(args.workers), "INTERLOCK_SERVER": args.server}
    serve = ["-m", "service", "serve", "--no-worker", "--port"]
    ours = start_server([*serve, str(ours_port), *(["--cluster"] if args.cluster else [])],
                        common | {"INTERLOCK_DATA_DIR": str(tmp / "ours"), "INTERLOCK_FSYNC": args.fsync},
                        tmp / "ours.log")  # fmt: skip
    ref_redis = None if args.cluster else EmbeddedRedis(tmp / "ref").start()
    if ref_redis is None:  # the yardstick: our own service on one embedded server
        ref = start_server([*serve, str(ref_port)], common | {"INTERLOCK_DATA_DIR": str(tmp / "ref"),
                           "INTERLOCK_FSYNC": args.fsync}, tmp / "ref.log")  # fmt: skip
    else:
        ref = start_reference(ref_port, ref_redis.url, common, tmp / "ref.log")
    targets = {"reference": f"http://127.0.0.1:{ref_port}", "interlock": f"http://127.0.0.1:{ours_port}"}
    results: dict[str, dict[str, list[dict[str, Any]]]] = {t: {"create": [], "read": []} for t in targets}
    try:
        for name, base in targets.items():
            wait_http(f"{base}/health")
            seed(base, 2000, tmp / f"{name}.ids")
            (tmp / f"{name}-read.lua").write_text(random_get_lua(tmp / f"{name}.ids", "/interrupts/"))
        (tmp / "create.lua").write_text(CREATE_LUA % BODY)
        for base in targets.values():  # warm-up
            wrk(f"{base}/interrupts", tmp / "create.lua", 3, args.connections)
        for round_no in range(args.rounds):
            order = list(targets) if round_no % 2 == 0 else list(reversed(targets))
            for kind in ("create", "read"):
                for name in order:
                    script = tmp / ("create.lua" if kind == "create" else f"{name}-read.lua")
                    results[name][kind].append(
                        wrk(f"{targets[name]}/interrupts", script, args.duration, args.connections)
                    )
    finally:
        for proc in (ours, ref):
            proc.terminate()
            proc.wait(30)
        if ref_redis is not None:
            ref_redis.stop()
    report(results, args)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def paired_ratios(ours: list[dict[str, Any]], ref: list[dict[str, Any]], key: str) -> list[float]:
    """Per-round ratios of runs made back to back, so that machine noise hits both sides alike."""
    return sorted(round(o[key] / r[key], 3) for o, r in zip(ours, ref, strict=True))


def report(results: dict[str, dict[str, list[dict[str, Any]]]], args: argparse.Namespace) -> None:
    summary: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "command": f"wrk -t1 -c{args.connections} -d{args.duration}s; server={args.server} workers={args.workers} "
        f"fsync={args.fsync}"
        + ("; reference = interlock on one server, interlock on a 3-primary cluster" * args.cluster),
    }
    for kind in ("create", "read"):
        ref, ours = median_run(results["reference"][kind]), median_run(results["interlock"][kind])
        rps = paired_ratios(results["interlock"][kind], results["reference"][kind], "rps")
        p99 = paired_ratios(results["interlock"][kind], results["reference"][kind], "p99_ms")
        summary[kind] = {"reference": ref, "interlock": ours, "throughput_ratio": rps[len(rps) // 2],
                         "p99_ratio": p99[len(p99) // 2], "throughput_ratios": rps, "p99_ratios": p99,
                         "runs": results["interlock"][kind], "reference_runs": results["reference"][kind]}  # fmt: skip
        print(f"{kind:6}  reference {ref['rps']:8.0f} req/s p50 {ref['p50_ms']:.2f} ms p99 {ref['p99_ms']:.2f} ms "
              f"err {ref['errors']} | interlock {ours['rps']:8.0f} req/s p50 {ours['p50_ms']:.2f} ms "
              f"p99 {ours['p99_ms']:.2f} ms err {ours['errors']} | median paired ratio "
              f"{rps[len(rps) // 2]:.2f}x (rounds {rps}) p99 ratio {p99[len(p99) // 2]:.2f}x")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

"""Waiter benchmark: decision → waiter latency with 1,000 waiters, and the memory of 10,000 idle waiters.

Run: `uv run python -m tests.bench.waiters [--waiters 1000] [--idle 10000]`. One `interlock serve`
process with one HTTP worker, embedded Valkey. Half the waiters long-poll, half hold SSE streams;
interrupts are decided one at a time and each waiter's wake-up is timed from the decide's 200.
Idle waiters are raw keep-alive sockets holding `?wait=55`; the worker's RSS is read from /proc.
"""

import argparse
import asyncio
import os
import platform
import tempfile
import time
from pathlib import Path

import httpx

from service.embedded import free_port
from tests.bench.core import start_server, wait_http

BODY = {"agentId": "bench", "userId": "waiter-bench", "action": "deploy", "context": {"n": 1}}


async def open_waiter(host: str, port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def until(reader: asyncio.StreamReader, marker: bytes) -> float:
    """Read until `marker` appears; return the time it did."""
    data = b""
    while marker not in data:
        chunk = await reader.read(65536)
        if not chunk:
            raise ConnectionError("closed before the decision arrived")
        data += chunk
    return time.perf_counter()


async def latency(base: str, port: int, count: int) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=50)) as http:
        ids = [(await http.post(f"{base}/interrupts", json=BODY)).json()["interruptId"] for _ in range(count)]
        waiters = []
        for i, interrupt_id in enumerate(ids):
            path = f"/interrupts/{interrupt_id}?wait=55" if i % 2 else f"/interrupts/{interrupt_id}/events"
            reader, writer = await open_waiter("127.0.0.1", port, path)
            if i % 2 == 0:
                await until(reader, b"event: pending")  # the stream is open and has its snapshot
            waiters.append((reader, writer))
        await asyncio.sleep(1.0)  # let every long-poll register (bench only; tests never sleep to sync)
        after_ack, after_send = [], []
        for interrupt_id, (reader, writer) in zip(ids, waiters, strict=True):
            waiting = asyncio.create_task(until(reader, b"approved"))
            sent = time.perf_counter()
            response = await http.post(f"{base}/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
            acked = time.perf_counter()
            assert response.status_code == 200
            woke = await waiting
            after_ack.append(max(0.0, woke - acked) * 1000)
            after_send.append((woke - sent) * 1000)
            writer.close()
    return {"ack_p50_ms": pct(after_ack, 0.5), "ack_p99_ms": pct(after_ack, 0.99),
            "send_p50_ms": pct(after_send, 0.5), "send_p99_ms": pct(after_send, 0.99)}  # fmt: skip


def pct(samples: list[float], q: float) -> float:
    return round(sorted(samples)[min(len(samples) - 1, int(len(samples) * q))], 3)


def worker_rss_kib(server_pid: int) -> int:
    """RSS of the serve process's HTTP worker (its child running the app)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    workers = [int(c) for c in children if b"valkey" not in Path(f"/proc/{c}/cmdline").read_bytes()]
    pid = workers[-1] if workers else server_pid  # uvicorn with one worker serves in-process
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def idle(base: str, port: int, count: int, server_pid: int) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=30) as http:
        ids = [(await http.post(f"{base}/interrupts", json=BODY)).json()["interruptId"] for _ in range(100)]
        redis_clients_before = (await http.get(f"{base}/health")).status_code
    before = worker_rss_kib(server_pid)
    sockets = []
    for i in range(count):
        sockets.append(await open_waiter("127.0.0.1", port, f"/interrupts/{ids[i % len(ids)]}?wait=55"))
    await asyncio.sleep(3.0)  # let the worker accept and park every request (bench only)
    after = worker_rss_kib(server_pid)
    for _, writer in sockets:
        writer.close()
    assert redis_clients_before == 200
    return {"waiters": count, "rss_before_mib": round(before / 1024, 1), "rss_after_mib": round(after / 1024, 1),
            "kib_per_waiter": round((after - before) / count, 2)}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waiters", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--server", default="granian", choices=["granian", "uvicorn"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="interlock-waiters-"))
    port = free_port()
    env = {"INTERLOCK_DATA_DIR": str(tmp / "data"), "INTERLOCK_WORKERS": "1", "INTERLOCK_SERVER": args.server}
    server = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"], env, tmp / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_http, f"{base}/health")
        lat = await latency(base, port, args.waiters)
        print(f"decision → waiter ({args.waiters} waiters, half long-poll, half SSE, one API process): "
              f"after the decide's 200: p50 {lat['ack_p50_ms']} ms, p99 {lat['ack_p99_ms']} ms; "
              f"from sending the decide: p50 {lat['send_p50_ms']} ms, p99 {lat['send_p99_ms']} ms")  # fmt: skip
        mem = await idle(base, port, args.idle, server.pid)
        print(f"{mem['waiters']} idle long-polls: worker RSS {mem['rss_before_mib']} → {mem['rss_after_mib']} MiB, "
              f"{mem['kib_per_waiter']} KiB per waiter")  # fmt: skip
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    asyncio.run(main())

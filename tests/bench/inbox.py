"""Inbox feeds under load: 100 open feeds of a user with 2,000 pending, then 100 creates.

Run: `uv run python -m tests.bench.inbox [--feeds 100] [--pending 2000] [--creates 100] [--rate 0]
[--open page|raw] [--rounds 10]`. Starts `interlock serve --no-worker` as a user does (granian x 2,
embedded Valkey, auth off so the inbox is open), seeds the pending interrupts, and measures
`GET /health` from a separate process (a fresh connection every 5 ms, as a load balancer's check)
first for 5 s with nothing else going on, then in each of `rounds` rounds while the feeds open and
the creates arrive, until every feed has shown every new interrupt (between rounds the feeds close
and the new interrupts are cancelled, unsampled, so every round is the same scenario). The rounds
pool enough busy samples (~1,000) for their p99 to be a percentile like the idle one's rather than
the worst sample or two of one 0.6 s burst. `--open page` opens each feed the way the page does
(with the page's `since` digest, so its first event carries no list); `raw` connects to the feed URL
bare (the whole list first). `--rate` spaces the creates (per second; 0 = as fast as one client
sends them). Reports each round's transfer and events, and /health's p50/p99 idle, busy, and busy
split into the feeds connecting and the creates. Where the time goes: each round reports how long the
server's threads waited for a core (runnable, not running; the kernel's schedstat) while the creates
arrived, and each phase how much of its slowest 1 % of probes the prober itself spent waiting for a
core. `--sched-idle` runs the load generator (the feeds' readers and the creates) under SCHED_IDLE,
so it only gets a core nothing else wants, as if the browsers were on other machines.
"""

import argparse
import asyncio
import html
import json
import multiprocessing
import os
import platform
import re
import socket
import statistics
import tempfile
import time
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import httpx

from service.embedded import free_port
from tests.bench.core import start_server, tree_cpu_seconds, wait_http
from tests.processes import child_pids

URGENCIES = ("low", "medium", "high")
REVIEW_ID = re.compile(rb"/review/([0-9a-f-]{36})")  # each line links to its review page
ADDED_ID = re.compile(rb'\{"id":"([0-9a-f-]{36})","before"')  # each added line of a change


def core_wait_ns(task: Path) -> int:
    """How long the thread `task` (a /proc/…/task/N folder) has been runnable without a core, in ns."""
    return int((task / "schedstat").read_text().split()[1])


def tree_core_wait_ms(pid: int) -> float:
    """Summed core wait (ms) of every thread of the live process `pid` and of every live process below it."""
    try:
        own = sum(core_wait_ns(task) for task in Path(f"/proc/{pid}/task").iterdir())
        children = child_pids(pid)
    except FileNotFoundError:  # it ended meanwhile
        return 0.0
    return own / 1e6 + sum(tree_core_wait_ms(child) for child in children)


Sample = tuple[int, float, float]  # phase, latency ms, the prober's own core wait ms


def probe(port: int, phase: "Synchronized[int]", out: "Queue[list[Sample]]") -> None:
    """GET /health on a fresh connection every 5 ms until `phase` is -1; put Samples on `out`."""
    samples: list[Sample] = []
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    me = Path("/proc/thread-self")
    while (now := phase.value) >= 0:
        started, waited = time.perf_counter(), core_wait_ns(me)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(request)
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:100]
        samples.append((now, (time.perf_counter() - started) * 1000, (core_wait_ns(me) - waited) / 1e6))
        time.sleep(max(0.0, 0.005 - (time.perf_counter() - started)))
    out.put(samples)


class Prober:
    """The /health prober in its own process (its timings are not disturbed by the feeds' readers).

    One process for the whole run, started before the baseline: each sample is tagged with the
    phase it was taken in (0 warm-up, 1 idle, 2 feeds connecting, 3 creates until every feed has
    them, 4 between rounds), so starting it costs no phase anything; "busy" is phases 2 and 3.
    """

    WARMUP, IDLE, CONNECT, CREATES, SETTLE = 0, 1, 2, 3, 4

    def __init__(self, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.phase: Synchronized[int] = context.Value("i", self.WARMUP)
        self._out: Queue[list[Sample]] = context.Queue()
        self._process = context.Process(target=probe, args=(port, self.phase, self._out))
        self._process.start()

    def finish(self) -> dict[str, dict[str, float]]:
        """Stop probing; count, p50 and p99 (ms) of each phase, and the prober's core wait in its slowest 1 %."""
        self.phase.value = -1
        samples = self._out.get(timeout=60)
        self._process.join(30)
        found: dict[str, dict[str, float]] = {}
        for name, phases in (("idle", {self.IDLE}), ("busy", {self.CONNECT, self.CREATES}),
                             ("connect", {self.CONNECT}), ("creates", {self.CREATES})):  # fmt: skip
            taken = sorted((ms, wait) for p, ms, wait in samples if p in phases)
            if len(taken) < 2:  # no feeds: nothing was sampled while they connected
                found[name] = {"n": len(taken)}
                continue
            cuts = statistics.quantiles([ms for ms, _ in taken], n=100, method="inclusive")
            slowest = taken[-max(1, len(taken) // 100) :]
            found[name] = {
                "n": len(taken), "p50": round(cuts[49], 1), "p99": round(cuts[98], 1),
                "slowest_1pct_ms": round(sum(ms for ms, _ in slowest), 1),
                "of_which_prober_waited_ms": round(sum(wait for _, wait in slowest), 1),
            }  # fmt: skip
        return found


class Feed:
    """One open inbox feed: the bytes it received and the ids it has shown."""

    progress = asyncio.Event()  # set whenever any feed takes an event

    def __init__(self) -> None:
        self.bytes = 0
        self.events = 0
        self.full_lists = 0
        self.seen: set[str] = set()
        self.started = asyncio.Event()

    def take(self, block: bytes) -> None:
        """One `inbox` event (its raw SSE block: scanned, not parsed, so the load generator stays light)."""
        self.events += 1
        if b'"html":"<' in block[:200]:  # a whole list: its lines' review links
            self.full_lists += 1
            self.seen.update(i.decode() for i in REVIEW_ID.findall(block))
        else:
            self.seen.update(i.decode() for i in ADDED_ID.findall(block))
        self.started.set()
        Feed.progress.set()

    async def read(self, http: httpx.AsyncClient, url: str) -> None:
        """Read the stream until cancelled."""
        async with http.stream("GET", url) as stream:
            buffer = b""
            async for chunk in stream.aiter_raw():
                self.bytes += len(chunk)
                buffer += chunk
                if (end := buffer.rfind(b"\r\n\r\n")) < 0:  # Litestar ends SSE lines with CRLF
                    continue
                complete, buffer = buffer[:end], buffer[end + 4 :]
                for block in complete.split(b"\r\n\r\n"):
                    if b"event: inbox" in block:
                        self.take(block)


async def seed(base: str, user: str, count: int) -> None:
    """`count` pending interrupts for `user`, 20 creates at a time."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for start in range(0, count, 20):
            bodies = [ask(user, f"seeded {n}", URGENCIES[n % 3]) for n in range(start, min(start + 20, count))]
            replies = await asyncio.gather(*(http.post("/interrupts", json=body) for body in bodies))
            assert all(r.status_code == 201 for r in replies)


def ask(user: str, action: str, urgency: str) -> dict[str, Any]:
    """A create body."""
    return {"agentId": "bench", "userId": user, "action": action, "urgency": urgency, "context": {"n": action}}


async def feed_url(http: httpx.AsyncClient, user: str, mode: str) -> str:
    """Where a feed connects: the page's own events URL, or the bare feed path."""
    if mode == "raw":
        return f"/inbox-events/{user}"
    page = (await http.get(f"/inbox/{user}")).text
    found = re.search(r'data-inbox-events="([^"]+)"', page)
    assert found, "the page names its feed"
    return html.unescape(found.group(1))


async def burst(
    http: httpx.AsyncClient, user: str, args: argparse.Namespace, prober: "Prober", server_pid: int
) -> dict[str, Any]:
    """One round: open the feeds, send the creates, wait until every feed shows them all, close, cancel them."""
    urls = [await feed_url(http, user, args.open) for _ in range(args.feeds)]
    cpu_server, cpu_client = tree_cpu_seconds(server_pid), time.process_time()
    prober.phase.value = Prober.CONNECT
    wanted: set[str] = set()
    feeds = [Feed() for _ in urls]
    started = time.perf_counter()
    readers = [asyncio.create_task(f.read(http, url)) for f, url in zip(feeds, urls, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(f.started.wait() for f in feeds)), 60)
    prober.phase.value = Prober.CREATES
    connected_server, connected_client = tree_cpu_seconds(server_pid), time.process_time()
    connected_wait = tree_core_wait_ms(server_pid)
    for n in range(args.creates):
        reply = await http.post("/interrupts", json=ask(user, f"new {n}", URGENCIES[n % 3]))
        wanted.add(reply.json()["interruptId"])
        if args.rate:
            await asyncio.sleep(1 / args.rate)
    async with asyncio.timeout(120):
        while not all(wanted <= f.seen for f in feeds):
            Feed.progress.clear()
            await Feed.progress.wait()
    elapsed = time.perf_counter() - started
    prober.phase.value = Prober.SETTLE
    done_server, done_client = tree_cpu_seconds(server_pid), time.process_time()
    done_wait = tree_core_wait_ms(server_pid)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    assert all(wanted <= f.seen for f in feeds), "every feed shows every new interrupt"
    for interrupt_id in wanted:  # back to `pending` waiting, so every round is the same scenario
        assert (await http.delete(f"/interrupts/{interrupt_id}")).status_code == 200
    await asyncio.sleep(0.5)  # bench only: the cancels' own feed work settles before the next round
    return {
        "seconds": round(elapsed, 2),
        # CPU seconds of the API processes and Valkey, and of this load generator (the feeds' readers, the
        # creates), while the feeds connected and then while the creates arrived until every feed had them
        "cpu_connect_s": [round(connected_server - cpu_server, 3), round(connected_client - cpu_client, 3)],
        "cpu_creates_s": [round(done_server - connected_server, 3), round(done_client - connected_client, 3)],
        # how long the server's threads (API processes, their runtime threads, Valkey) waited for a core meanwhile
        "server_core_wait_creates_ms": round(done_wait - connected_wait, 1),
        "transfer_mb": round(sum(f.bytes for f in feeds) / 1e6, 2),
        "events_per_feed": round(statistics.mean(f.events for f in feeds), 1) if feeds else 0,
        "full_lists": sum(f.full_lists for f in feeds),
    }


async def scenario(base: str, port: int, args: argparse.Namespace, server_pid: int) -> dict[str, Any]:
    """Baseline /health, then `rounds` times feeds + creates, with /health probed throughout."""
    user = f"inbox-bench-{os.getpid()}"
    await seed(base, user, args.pending)
    prober = Prober(port)
    if args.sched_idle:  # after the server and the prober started: they keep the normal policy
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    await asyncio.sleep(2)  # bench only: the prober's interpreter starts, then the idle baseline is sampled
    prober.phase.value = Prober.IDLE
    await asyncio.sleep(args.baseline_s)
    prober.phase.value = Prober.SETTLE
    limits = httpx.Limits(max_connections=args.feeds + 10)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120), limits=limits) as http:
        rounds = [await burst(http, user, args, prober, server_pid) for _ in range(args.rounds)]
    health = await asyncio.to_thread(prober.finish)
    return {
        "feeds": args.feeds, "pending": args.pending, "creates": args.creates, "open": args.open,
        "rate": args.rate, "sched_idle": args.sched_idle, "rounds": rounds, "health": health,
        "p99_ratio": round(health["busy"]["p99"] / health["idle"]["p99"], 2),
    }  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--pending", type=int, default=2000)
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0)
    parser.add_argument("--open", choices=["page", "raw"], default="page")
    parser.add_argument("--baseline-s", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--sched-idle", action="store_true", help="the load generator only gets idle cores")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="interlock-inbox-bench-"))
    port = free_port()
    env = {"INTERLOCK_DATA_DIR": str(tmp / "data"), "INTERLOCK_SERVER": os.environ.get("INTERLOCK_SERVER", "granian")}
    server = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"], env, tmp / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_http, f"{base}/health")
        result = await scenario(base, port, args, server.pid)
        print(json.dumps(result))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    asyncio.run(main())

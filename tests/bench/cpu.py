"""CPU cost per request, in process: the service's ASGI app against the bare-stack reference.

Run: `uv run python -m tests.bench.cpu [--requests 2000] [--rounds 15] [--batch N] [--profile OP] [--key K]
[--ops create read page link health decide decide-cold decide-new-form]`. `--batch` alternates the two sides every N
calls within a round, so both see the same moments of a noisy machine (by default each side runs its
whole round in one go).
With `--key`, our app runs with that admin key (API_KEY_SECRET) and every request presents it, so
the access check is measured too (the reference has no auth). `--baseline open` pairs our keyed app
against our own app without keys instead of the reference: the ratio is then the cost of the
access check alone, measured in one process.

Wall-clock throughput on the 2-core benchmark machine varies by ±15 % between runs, too much to rank
a 5 % change. This drives each app's ASGI callable directly (no HTTP server, no load generator),
one request at a time against its own embedded Valkey, and reports the Python process's CPU time
per request (`time.process_time`) in paired rounds, alternating which side goes first. What it
leaves out (the HTTP server's parsing, Redis's own time) is the same for both sides; `--profile`
prints a cProfile (in CPU time) of our side. The reference has no pages: `page` (our
`GET /review/{id}`) and `link` (the same page opened through a reviewer's signed link, which
checks its token) are paired with its JSON read, for scale. `decide` pairs our own plain decide with
one that carries a ten-field typed answer validated against its responseSchema (each on an interrupt
created beforehand, untimed, by the same app); `decide-cold` has another app create them, so the
deciding one has not seen those interrupts (it has seen their form on others); `decide-new-form`
gives each interrupt a form of its own, never seen before (compiled by the deciding app, two round trips).
"""

import argparse
import asyncio
import cProfile
import functools
import gc
import json
import os
import platform
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar import Litestar

from service import answers
from service.app import create_app
from service.domain import jsontext
from service.embedded import EmbeddedRedis
from service.settings import Settings
from tests.asgi import call
from tests.bench import reference
from tests.bench.core import ANSWER, BODY, FORM


class Driver:
    """Calls an ASGI app as a server would, with one request's scope and body."""

    def __init__(self, app: Litestar, key: str | None = None, *, lenient: bool = False) -> None:
        self.app = app
        self._auth = [(b"x-api-key", key.encode())] if key else []
        self._lenient = lenient

    async def request(self, method: str, path: str, body: bytes = b"", query: bytes = b"") -> tuple[int, bytes]:
        """One request; the status and the body (with the strict JSON check off while it runs, when lenient)."""
        headers = [(b"content-length", str(len(body)).encode())] if body else []
        if not self._lenient:
            return await call(self.app, method, path, [body], [*headers, *self._auth], query=query)
        strict = jsontext.check
        jsontext.check = _accept  # type: ignore[assignment]
        try:
            return await call(self.app, method, path, [body], [*headers, *self._auth], query=query)
        finally:
            jsontext.check = strict


def _accept(body: bytes) -> None:
    """The strict check switched off."""


async def cpu_per_request(call: Callable[[], Awaitable[Any]], count: int) -> float:
    """Process CPU microseconds per call, over `count` sequential calls (after the call's untimed `prepare`)."""
    if isinstance(call, Decides):
        await call.prepare(count)
    start = time.process_time()
    for _ in range(count):
        await call()
    return (time.process_time() - start) / count * 1e6


class Decides:
    """Decides on interrupts created beforehand (untimed, in `prepare`), one per call, with or without an answer."""

    def __init__(
        self, driver: "Driver", *, typed: bool, creator: "Driver | None" = None, new_forms: bool = False
    ) -> None:
        self._driver = driver
        self._creator = creator or driver  # another app: the deciding one has never seen the interrupt
        self._typed, self._new_forms = typed, new_forms  # new_forms: each interrupt asks a form of its own
        self._made = 0
        decision = {"decision": "approved", "reason": "within budget"} | ({"response": ANSWER} if typed else {})
        self._decide = json.dumps(decision).encode()
        self._ids: list[str] = []

    async def prepare(self, count: int) -> None:
        """Create the `count` interrupts the next calls decide."""
        for _ in range(count - len(self._ids)):
            self._made += 1
            form = FORM | {"title": f"form {self._made}"} if self._new_forms else FORM
            body = json.dumps(json.loads(BODY) | ({"responseSchema": form} if self._typed else {})).encode()
            status, created = await self._creator.request("POST", "/interrupts", body)
            assert status == 201, (status, created)
            self._ids.append(json.loads(created)["interruptId"])
        if self._new_forms:
            answers.compiled.cache_clear()  # what the creating app compiled: as if it ran in another process

    async def __call__(self) -> None:
        status, answer = await self._driver.request("POST", f"/interrupts/{self._ids.pop()}/decide", self._decide)
        assert status == 200, (status, answer)


async def measure(args: argparse.Namespace) -> dict[str, list[tuple[float, float]]]:
    """Paired rounds of creates and reads on both apps: (reference, interlock) CPU µs per request each round."""
    with tempfile.TemporaryDirectory() as tmp:
        redis_ref = EmbeddedRedis(Path(tmp) / "ref").start()
        redis_ours = EmbeddedRedis(Path(tmp) / "ours").start()
        try:
            os.environ["REDIS_URL"] = redis_ref.url
            ref_app = reference.app() if args.baseline == "reference" else create_app(Settings.from_env(os.environ))
            lenient = args.baseline == "lenient"
            env = {"REDIS_URL": redis_ours.url} | ({"API_KEY_SECRET": args.key} if args.key else {})
            ours = create_app(Settings.from_env(env))
            other = create_app(Settings.from_env(env))  # creates what `decide-cold` decides
            async with ref_app.lifespan(), ours.lifespan(), other.lifespan():
                gc.collect()
                gc.freeze()  # as `interlock serve` does once started (app.freeze_heap)
                baseline = Driver(ref_app, lenient=lenient)
                return await _rounds(args, baseline, Driver(ours, args.key), Driver(other, args.key))
        finally:
            redis_ref.stop()
            redis_ours.stop()


async def _rounds(
    args: argparse.Namespace, ref: Driver, ours: Driver, other: Driver
) -> dict[str, list[tuple[float, float]]]:
    body = BODY.encode()
    calls: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {}
    for name, driver in (("reference", ref), ("interlock", ours)):
        status, created = await driver.request("POST", "/interrupts", body)
        assert status == 201, (name, status, created)
        interrupt_id = json.loads(created)["interruptId"]
        read = functools.partial(driver.request, "GET", f"/interrupts/{interrupt_id}")
        calls[name] = {
            "create": functools.partial(driver.request, "POST", "/interrupts", body),
            "read": read,
            "page": functools.partial(driver.request, "GET", f"/review/{interrupt_id}") if driver is ours else read,
            "link": await _link_page(driver, interrupt_id) if driver is ours and "link" in args.ops else read,
            "health": functools.partial(driver.request, "GET", "/health"),  # no Redis: the HTTP layers alone
            # on our app both sides: a plain decide ("reference" column) against one with a typed answer
            "decide": Decides(ours, typed=driver is ours),
            "decide-cold": Decides(ours, typed=driver is ours, creator=other),
            "decide-new-form": Decides(ours, typed=driver is ours, creator=other, new_forms=True),
        }
    for op in args.ops:  # warm both
        for name in calls:
            await cpu_per_request(calls[name][op], args.requests // 5)
    pairs: dict[str, list[tuple[float, float]]] = {op: [] for op in args.ops}
    for round_no in range(args.rounds):
        for op in pairs:
            order = ("reference", "interlock") if round_no % 2 == 0 else ("interlock", "reference")
            cost = await _interleaved(calls, op, order, args.requests, args.batch or args.requests)
            pairs[op].append((cost["reference"], cost["interlock"]))
    if args.profile:
        profile = cProfile.Profile(time.process_time)  # CPU time, not waits
        profile.enable()
        await cpu_per_request(calls["interlock"][args.profile], args.requests)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(45)
    return pairs


async def _interleaved(
    calls: dict[str, dict[str, Callable[[], Awaitable[Any]]]], op: str, order: tuple[str, str], count: int, batch: int
) -> dict[str, float]:
    """CPU µs per call of `op` on each side, in alternating batches of `batch` calls."""
    spent = dict.fromkeys(order, 0.0)
    for _ in range(max(count // batch, 1)):
        for name in order:
            spent[name] += await cpu_per_request(calls[name][op], batch) * batch
    return {name: total / (max(count // batch, 1) * batch) for name, total in spent.items()}


async def _link_page(driver: Driver, interrupt_id: str) -> Callable[[], Awaitable[Any]]:
    """GET of the review page through a freshly minted signed link (needs a key: run with --key)."""
    status, minted = await driver.request("POST", f"/interrupts/{interrupt_id}/review-links", b'{"reviewer":"r@x.io"}')
    assert status == 201, (status, minted)
    url = json.loads(minted)["url"]
    path, _, query = url.partition("/review/")[2].partition("?")
    return functools.partial(driver.request, "GET", f"/review/{path}", query=query.encode())


def main() -> None:
    """Parse arguments, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    ops = ["create", "read", "page", "link", "health", "decide", "decide-cold", "decide-new-form"]
    parser.add_argument("--ops", nargs="+", choices=ops, default=["create", "read", "page"])
    parser.add_argument("--batch", type=int, help="alternate the sides every BATCH calls within a round")
    parser.add_argument(
        "--profile", choices=["create", "read", "page", "link", "decide", "decide-cold", "decide-new-form"]
    )
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    parser.add_argument("--key", help="run our app with this admin key and present it on every request")
    parser.add_argument("--baseline", choices=["reference", "open", "lenient"], default="reference",
                        help="pair our app with the bare-stack reference, itself without keys, or itself "
                             "without the strict JSON check")  # fmt: skip
    args = parser.parse_args()
    pairs = asyncio.run(measure(args))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for op, rounds in pairs.items():
        if op.startswith("decide"):
            print(f"{op}: the reference column is our own plain decide, interlock's one with a 10-field answer")
        ref = statistics.median(r for r, _ in rounds)
        ours = statistics.median(o for _, o in rounds)
        ratios = sorted(round(o / r, 2) for r, o in rounds)
        print(
            f"{op:7} reference {ref:6.1f} µs  interlock {ours:6.1f} µs  "
            f"median paired ratio {statistics.median(ratios):.2f}x {ratios}"
        )


if __name__ == "__main__":
    main()

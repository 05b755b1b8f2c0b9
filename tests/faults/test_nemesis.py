"""Faults survived: clients work against 2 API processes and 2 workers over one Redis while a nemesis
kill -9s an API process, a worker or Redis itself and restarts it; a checker then compares every
acknowledged operation with the final state. Bounded (NEMESIS_SECONDS, default 30, plus settling)."""

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.store import keys
from tests.clients import blocking_client
from tests.faults.cluster import Cluster, Supervised
from tests.receivers import Receiver, running

RUN_S = float(os.environ.get("NEMESIS_SECONDS", "30"))
CLIENTS = 4


@dataclass
class History:
    """What the clients were told (acknowledged) and what went wrong on the wire."""

    created: dict[str, int] = field(default_factory=dict)  # id → expiresAt (epoch ms)
    decided: dict[str, set[str]] = field(default_factory=dict)  # id → acknowledged decisions
    cancelled: set[str] = field(default_factory=set)
    ops: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)  # answers that were neither success, 4xx nor 503 JSON


async def call(
    http: httpx.AsyncClient, history: History, method: str, url: str, **kwargs: Any
) -> httpx.Response | None:
    """One request; None when the process did not answer (killed); every 5xx must be a 503 JSON problem."""
    history.ops["requests"] += 1
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TransportError:
        history.ops["no answer"] += 1
        return None
    if response.status_code >= 500:
        is_json = response.headers.get("content-type", "").startswith("application/problem+json")
        if response.status_code == 503 and is_json and response.headers.get("retry-after"):
            history.ops["503 while Redis was down"] += 1
        else:
            history.bad.append(f"{method} {url} → {response.status_code} {response.text[:200]}")
    return response


async def client(n: int, urls: list[str], hook: str, history: History, stop: asyncio.Event) -> None:
    """Create, then race two decides on different processes, or cancel, or let it expire."""
    rng = random.Random(n)
    async with httpx.AsyncClient(timeout=10) as http:
        while not stop.is_set():
            body = {"agentId": f"agent-{n}", "userId": "nemesis", "action": "pay", "context": {"n": n},
                    "expiresIn": rng.choice([1.5, 3, 6]), "callbackUrl": hook}  # fmt: skip
            created = await call(http, history, "POST", f"{rng.choice(urls)}/interrupts", json=body)
            if created is None or created.status_code != 201:
                continue
            interrupt_id = created.json()["interruptId"]
            history.created[interrupt_id] = int(time.time() * 1000 + body["expiresIn"] * 1000)  # type: ignore[operator]
            roll = rng.random()
            if roll < 0.5:
                racers = [("approved", urls[0]), ("rejected", urls[-1])]
                rng.shuffle(racers)
                answers = await asyncio.gather(*(
                    call(http, history, "POST", f"{url}/interrupts/{interrupt_id}/decide", json={"decision": d})
                    for d, url in racers
                ))  # fmt: skip
                for (decision, _), answer in zip(racers, answers, strict=True):
                    if answer is not None and answer.status_code == 200:
                        history.decided.setdefault(interrupt_id, set()).add(decision)
            elif roll < 0.7:
                answer = await call(http, history, "DELETE", f"{rng.choice(urls)}/interrupts/{interrupt_id}")
                if answer is not None and answer.status_code == 200:
                    history.cancelled.add(interrupt_id)


async def nemesis(cluster: Cluster, stop: asyncio.Event, kills: Counter[str]) -> None:
    """Every 2 to 4 s kill -9 one part, keep it down 0.3 to 1.5 s, restart it."""
    rng = random.Random(7)
    parts: list[Supervised | str] = [*cluster.apis, *cluster.workers, "redis"]
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):  # the fault schedule, not synchronisation
            await asyncio.wait_for(stop.wait(), rng.uniform(2, 4))
        if stop.is_set():
            return
        part = rng.choice(parts)
        if part == "redis":
            cluster.redis.kill()
        else:
            assert isinstance(part, Supervised)
            part.kill()
        kills[part if isinstance(part, str) else part.name] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(0.3, 1.5))
        if part == "redis":
            await asyncio.to_thread(cluster.redis.start)
        else:
            assert isinstance(part, Supervised)
            part.start()


async def restore(cluster: Cluster) -> int:
    """Restart whatever is down (a process that died on its own counts); wait for the APIs."""
    restarted = 0
    if not cluster.redis.running:
        await asyncio.to_thread(cluster.redis.start)
        restarted += 1
    for proc in [*cluster.apis, *cluster.workers]:
        if not proc.running:
            proc.start()
            restarted += 1
    for api in cluster.apis:
        await asyncio.to_thread(api.wait_ready)
    return restarted


@pytest.mark.slow
@pytest.mark.timeout(int(RUN_S) + 240)
async def test_nothing_acknowledged_is_lost_under_kill_9(tmp_path: Path) -> None:
    cluster = await asyncio.to_thread(Cluster(tmp_path).start)
    history, kills = History(), Counter[str]()
    try:
        async with running(Receiver()) as receiver:
            urls = [api.url for api in cluster.apis if api.url]
            stop = asyncio.Event()
            tasks = [
                asyncio.create_task(client(n, urls, receiver.url("/hooks"), history, stop)) for n in range(CLIENTS)
            ]
            chaos = asyncio.create_task(nemesis(cluster, stop, kills))
            await asyncio.sleep(RUN_S)  # the length of the run, not synchronisation
            stop.set()
            await asyncio.gather(*tasks, chaos)
            died_alone = await restore(cluster)
            known = set(history.created)

            def webhook_for_each(got: dict[str, Any]) -> bool:
                ids = {r.verified["interruptId"] for r in got.get("/hooks", []) if r.verified is not None}
                return known <= ids

            await asyncio.wait_for(receiver.wait_until(webhook_for_each), 120)  # every one ended and was signed
            deliveries: dict[str, list[Any]] = {}
            for received in receiver.received["/hooks"]:
                assert received.verified is not None, "a webhook failed signature verification"
                deliveries.setdefault(received.verified["interruptId"], []).append(received)
        redis = blocking_client(cluster.redis.url)
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for interrupt_id in known:
                    pipe.hget(keys.interrupt(interrupt_id), "status")
                    pipe.lrange(keys.events(interrupt_id), 0, -1)
                rows = await pipe.execute()
        finally:
            await redis.aclose()
    finally:
        await asyncio.to_thread(cluster.stop)
    final = dict(zip(known, rows[0::2], strict=True))
    events = dict(zip(known, rows[1::2], strict=True))
    losses = []
    for interrupt_id in known:
        status, terminal = final[interrupt_id], [json.loads(e)["status"] for e in events[interrupt_id]]
        acked = history.decided.get(interrupt_id, set())
        if status is None:
            losses.append(f"{interrupt_id}: acknowledged create is gone")
            continue
        if len(terminal) != 1 or terminal[0] != status:
            losses.append(f"{interrupt_id}: terminal events {terminal} for final status {status}")
        if len(acked) > 1 or (acked and status not in acked):
            losses.append(f"{interrupt_id}: decisions acknowledged {sorted(acked)}, final status {status}")
        if interrupt_id in history.cancelled and status != "cancelled":
            losses.append(f"{interrupt_id}: cancel acknowledged, final status {status}")
        bodies = {r.body for r in deliveries[interrupt_id]}
        if len(bodies) != 1 or json.loads(next(iter(bodies)))["status"] != status:
            losses.append(f"{interrupt_id}: webhook bodies {bodies} for final status {status}")
    duplicates = sum(len(v) - 1 for v in deliveries.values())
    print(
        f"\nnemesis run {RUN_S:.0f} s: {history.ops['requests']} requests, {len(known)} creates acknowledged, "
        f"{sum(map(len, history.decided.values()))} decisions and {len(history.cancelled)} cancels acknowledged, "
        f"{sum(1 for s in final.values() if s == 'expired')} expired; kills {dict(kills)} ({sum(kills.values())}); "
        f"{history.ops['no answer']} requests unanswered (killed process), {history.ops['503 while Redis was down']} "
        f"503s; {sum(map(len, deliveries.values()))} webhooks ({duplicates} duplicate deliveries); "
        f"processes that died on their own: {died_alone}; losses: {len(losses)}; bad 5xx: {len(history.bad)}"
    )
    assert (sum(kills.values()) >= 3 and "redis" in kills) or RUN_S < 20, f"too few faults injected: {kills}"
    assert history.bad == [], history.bad[:5]
    assert losses == [], losses[:10]

"""Changing the running topology under load: a rolling restart of the API, and `--scale api=4 --scale worker=2`.

The load here never retries: every answer that is not the expected one, and every transport
error, is a failed request. During `deploy/rollout.sh api` that count must be 0.
"""

import asyncio
import re
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.containers.conftest import ADMIN_KEY, AGENT_KEY, Topology
from tests.containers.test_topology import delivered_ids, received
from tests.processes import ROOT, poll_until

pytestmark = [pytest.mark.containers, pytest.mark.timeout(600)]


@dataclass
class Tally:
    """What the load saw: acknowledged creates and decisions, answered waits, every failure."""

    created: list[str] = field(default_factory=list)
    decided: list[str] = field(default_factory=list)
    waits: int = 0
    failures: list[str] = field(default_factory=list)
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # set at each acknowledged decision

    def requests(self) -> int:
        """Requests made so far (a create, a decide and a read per cycle, plus the waits)."""
        return len(self.created) + 2 * len(self.decided) + self.waits + len(self.failures)


async def _cycle(http: httpx.AsyncClient, tally: Tally, n: int, callback: str | None) -> None:
    """Create (with an Idempotency-Key), decide, read back: one failure ends the cycle."""
    body = {"agentId": "rollout", "userId": f"roll-{n}", "action": "x", "context": {}}
    made = await http.post("/interrupts", json=body | ({"callbackUrl": callback} if callback else {}),
                           headers={"X-API-Key": AGENT_KEY, "Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    if made.status_code != 201:
        tally.failures.append(f"create {made.status_code}")
        return
    interrupt_id = made.json()["interruptId"]
    tally.created.append(interrupt_id)
    done = await http.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    if done.status_code != 200:
        tally.failures.append(f"decide {done.status_code}")
        return
    read = await http.get(f"/interrupts/{interrupt_id}")
    if read.status_code != 200 or read.json()["status"] != "approved":
        tally.failures.append(f"read {read.status_code}")
        return
    tally.decided.append(interrupt_id)
    tally.progress.set()


async def _cycles(url: str, tally: Tally, stop: asyncio.Event, n: int, callback: str | None) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        while not stop.is_set():
            try:
                await _cycle(http, tally, n, callback)
            except httpx.TransportError as exc:
                tally.failures.append(f"transport {type(exc).__name__}")


async def _waits(url: str, tally: Tally, stop: asyncio.Event, n: int) -> None:
    """Long-polls of 5 s on one pending interrupt: each must be answered (a draining replica answers its own)."""
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": ADMIN_KEY}, timeout=70) as http:
        body = {"agentId": "rollout", "userId": f"wait-{n}", "action": "hold", "context": {}}
        interrupt_id = (await http.post("/interrupts", json=body)).json()["interruptId"]
        while not stop.is_set():
            try:
                answer = await http.get(f"/interrupts/{interrupt_id}", params={"wait": 5})
            except httpx.TransportError as exc:
                tally.failures.append(f"wait transport {type(exc).__name__}")
                continue
            if answer.status_code == 200 and answer.json()["status"] == "pending":
                tally.waits += 1
            else:
                tally.failures.append(f"wait {answer.status_code}")


async def _decided(tally: Tally, count: int) -> None:
    """Until the load has had `count` decisions acknowledged (the caller bounds the wait)."""
    while len(tally.decided) < count:
        tally.progress.clear()
        await tally.progress.wait()


def _rollout(topology: Topology, service: str) -> subprocess.CompletedProcess[str]:
    """deploy/rollout.sh SERVICE against the topology, as an operator runs it."""
    return subprocess.run([str(ROOT / "deploy" / "rollout.sh"), service], env=topology.compose_env(),
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip


def test_a_rolling_restart_of_the_api_under_load_fails_no_request(topology: Topology) -> None:
    tally, before = Tally(), topology.containers("api")

    async def run() -> float:
        stop = asyncio.Event()
        load = [asyncio.create_task(_cycles(topology.url, tally, stop, n, None)) for n in range(6)]
        load += [asyncio.create_task(_waits(topology.url, tally, stop, n)) for n in range(4)]
        try:
            await _decided(tally, 20)
            started = time.monotonic()
            await asyncio.to_thread(_rollout, topology, "api")
            took = time.monotonic() - started
            await _decided(tally, len(tally.decided) + 50)  # the new replicas carry the load alone
            return took
        finally:
            stop.set()
            await asyncio.gather(*load)

    took = asyncio.run(asyncio.wait_for(run(), 400))
    after = topology.containers("api")
    topology.report(f"rolling restart: {tally.requests()} requests, {len(tally.failures)} failed "
                    f"({Counter(tally.failures).most_common(3)}), {tally.waits} waits answered, "
                    f"{took:.1f} s, {before} -> {after}")  # fmt: skip
    assert tally.failures == []
    assert len(after) == len(before) and not set(after) & set(before)  # every replica replaced
    assert tally.waits > 0 and len(tally.decided) > 100
    with httpx.Client(base_url=topology.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        assert {http.get(f"/interrupts/{i}").json()["status"] for i in tally.decided} == {"approved"}


_LOGGED = re.compile(r'"\w+ /interrupts/([^/? ]+)[^"]*" .* upstream=(.+?) upstream_status=')  # deploy/nginx.conf


def _served_by(topology: Topology, ids: set[str]) -> Counter[str]:
    """For the requests naming one of `ids`: how many each API replica answered, from nginx's access log."""
    names = topology.containers("api")
    fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    addresses = topology.docker.run(["inspect", "-f", fmt, *names], timeout=30).stdout.split()
    replica = dict(zip(addresses, names, strict=True))
    served: Counter[str] = Counter()
    for line in topology.docker.run(["logs", topology.container("proxy")], timeout=60).stdout.splitlines():
        if (logged := _LOGGED.search(line)) and logged[1] in ids:
            last = logged[2].split(", ")[-1].rsplit(":", 1)[0]  # after a retry nginx lists each replica tried
            served[replica.get(last, last)] += 1
    return served


def test_scaled_to_four_api_replicas_and_two_workers_every_replica_serves_and_each_webhook_arrives_once(
    topology: Topology,
) -> None:
    topology.compose("up", "--detach", "--wait", "--scale", "api=4", "--scale", "worker=2", timeout=300)
    try:
        assert len(topology.containers("api")) == 4 and len(topology.containers("worker")) == 2
        already, tally = len(received(topology)), Tally()

        async def run() -> None:
            stop = asyncio.Event()
            load = [asyncio.create_task(_cycles(topology.url, tally, stop, n, "http://receiver:8080/scaled"))
                    for n in range(6)]  # fmt: skip
            await _decided(tally, 300)
            stop.set()
            await asyncio.gather(*load)

        asyncio.run(asyncio.wait_for(run(), 300))
        assert tally.failures == []

        def hooks() -> Counter[str]:
            decided = set(tally.decided)
            return Counter(i for i in delivered_ids(topology, already) if i in decided)

        poll_until(lambda: len(hooks()) == len(tally.decided), "every decision's webhook", timeout=120)
        served = _served_by(topology, set(tally.created))
        topology.report(f"scaled to api=4 worker=2: {len(tally.decided)} decisions, per replica {dict(served)}")
        assert set(served) == set(topology.containers("api")) and min(served.values()) > 0
        assert set(hooks().values()) == {1}  # each decision's webhook arrived exactly once
    finally:
        topology.compose("up", "--detach", "--wait", timeout=300)  # back to the compose file's replicas

"""Faults an operator meets, on the compose topology: kill -9 of each server under load, then `down` and `up`.

Mixed load through the proxy (creates with an Idempotency-Key and a callbackUrl, then decides), while
the server process of an API container, the worker container and the Redis container is killed
with SIGKILL from the host in turn and the restart policy brings each back. Then every acknowledged
create and decision must be there, no answer may be a bare 500, and every decided interrupt's
webhook must have reached the receiver container.
"""

import asyncio
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.containers.conftest import ADMIN_KEY, AGENT_KEY, Topology
from tests.containers.test_topology import delivered_ids, received
from tests.processes import poll_until

pytestmark = [pytest.mark.containers, pytest.mark.timeout(600)]
KILLED = (("api", 1), ("worker", 1), ("redis", 1), ("api", 2))
RETRIED = (502, 503, 504)  # what a client retries while a server restarts (nginx's, or ours with Retry-After)


@dataclass
class Ledger:
    """What the load was told: acknowledged creates and decisions, and every status seen."""

    created: list[str] = field(default_factory=list)
    decided: dict[str, str] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0


async def _send(http: httpx.AsyncClient, ledger: Ledger, method: str, path: str, **kw: Any) -> httpx.Response | None:
    """One request, retried while the topology restarts (idempotent, or made so by its key); None once out of tries."""
    for _ in range(200):
        try:
            answer = await http.request(method, path, **kw)
        except httpx.TransportError:
            ledger.transport_errors += 1
        else:
            ledger.statuses[answer.status_code] = ledger.statuses.get(answer.status_code, 0) + 1
            if answer.status_code not in RETRIED:
                return answer
        await asyncio.sleep(0.1)  # a pause between tries, not synchronisation
    return None


async def _client(topology: Topology, ledger: Ledger, stop: asyncio.Event, n: int) -> None:
    agent = {"X-API-Key": AGENT_KEY}
    async with httpx.AsyncClient(base_url=topology.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        while not stop.is_set():
            body = {"agentId": f"load-{n}", "userId": f"fault-{n}", "action": "pay", "context": {"n": n},
                    "callbackUrl": "http://receiver:8080/fault"}  # fmt: skip
            made = await _send(http, ledger, "POST", "/interrupts", json=body,
                               headers=agent | {"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
            if made is None or made.status_code not in (200, 201):
                continue
            interrupt_id = made.json()["interruptId"]
            ledger.created.append(interrupt_id)
            decision = "approved" if len(ledger.created) % 2 else "rejected"
            done = await _send(http, ledger, "POST", f"/interrupts/{interrupt_id}/decide", json={"decision": decision})
            if done is not None and (done.status_code == 200 or (done.status_code == 409 and
                                     done.json().get("current", {}).get("status") == decision)):  # fmt: skip
                ledger.decided[interrupt_id] = decision  # a 409 naming our own decision: an earlier try landed


def _restarted(topology: Topology, name: str, before: int) -> None:
    """Until `name` has restarted since `before` and is healthy again (a poll with a deadline)."""
    fmt = "{{.RestartCount}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"

    def back() -> bool:
        count, running, health = topology.docker.run(["inspect", "-f", fmt, name], timeout=30).stdout.split()
        return int(count) > before and running == "true" and health in ("healthy", "none")

    poll_until(back, f"{name} to be back and healthy", timeout=120)


async def _progress(ledger: Ledger, more: int) -> None:
    """Until the load has had `more` decisions acknowledged (a poll with a deadline of 120 s)."""
    target, deadline = len(ledger.decided) + more, time.monotonic() + 120
    while len(ledger.decided) < target:
        assert time.monotonic() < deadline, f"the load made no progress to {target} decisions"
        await asyncio.sleep(0.05)


async def _kill_in_turn(topology: Topology, ledger: Ledger, kills: list[str]) -> None:
    for service, index in KILLED:
        await _progress(ledger, 20)  # the load runs between kills, and has recovered from the last one
        name = topology.container(service, index)
        fmt = "{{.State.Pid}} {{.RestartCount}}"
        pid, count = topology.docker.run(["inspect", "-f", fmt, name], timeout=30).stdout.split()
        os.kill(int(pid), signal.SIGKILL)
        kills.append(name)
        await asyncio.to_thread(_restarted, topology, name, int(count))
    await _progress(ledger, 20)


def test_kill_9_of_every_server_under_load_loses_nothing(topology: Topology) -> None:
    ledger, kills = Ledger(), list[str]()

    async def run() -> None:
        stop = asyncio.Event()
        clients = [asyncio.create_task(_client(topology, ledger, stop, n)) for n in range(8)]
        try:
            await _kill_in_turn(topology, ledger, kills)
        finally:
            stop.set()
            await asyncio.gather(*clients)

    already = len(received(topology))
    asyncio.run(run())
    topology.wait_ready()
    topology.report(f"fault run: {len(ledger.created)} creates, {len(ledger.decided)} decisions acknowledged, "
                    f"kills {kills}, statuses {dict(sorted(ledger.statuses.items()))}, "
                    f"transport errors {ledger.transport_errors}")  # fmt: skip
    assert kills == [topology.container(s, i) for s, i in KILLED]
    assert len(ledger.decided) > 50
    assert ledger.statuses.get(500, 0) == 0
    with httpx.Client(base_url=topology.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        for interrupt_id in ledger.created:  # every acknowledged create is there, every decision as made
            status = http.get(f"/interrupts/{interrupt_id}").json()["status"]
            assert status == ledger.decided.get(interrupt_id, status), interrupt_id

    def undelivered() -> list[str]:  # every decision's terminal event must reach the receiver
        hooks = set(delivered_ids(topology, already))
        return [i for i in ledger.decided if i not in hooks]

    poll_until(lambda: not undelivered(), "every decision's webhook", timeout=120)


def test_down_then_up_keeps_everything(topology: Topology) -> None:
    with httpx.Client(base_url=topology.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        body = {"agentId": "a", "userId": "kept", "action": "keep me", "context": {}}
        made = [http.post("/interrupts", json=body).json()["interruptId"] for _ in range(20)]
        http.post(f"/interrupts/{made[0]}/decide", json={"decision": "approved"}).raise_for_status()
    topology.compose("down", timeout=180)  # no --volumes: the data volume stays, as for an operator
    topology.compose("up", "--detach", "--wait", timeout=300)
    topology.wait_ready()
    with httpx.Client(base_url=topology.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as http:
        statuses = [http.get(f"/interrupts/{i}").json()["status"] for i in made]
        pending = {it["id"] for it in http.get("/interrupts/pending/kept").json()}
    assert statuses == ["approved"] + ["pending"] * 19
    assert pending == set(made[1:])

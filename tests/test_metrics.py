"""Prometheus metrics over real processes: service-wide counters from Redis, requests summed over HTTP workers."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from service.api.metrics import RequestCounts, RequestMetrics, forget_dead_processes
from tests.processes import ServeProcess

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """Every sample of one scrape, keyed by name and sorted labels."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    """How much one sample grew between two scrapes."""
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.mark.timeout(90)
def test_metrics_count_outcomes_time_to_decision_and_requests(redis_url: str, tmp_path: Path) -> None:
    api = ServeProcess({"REDIS_URL": redis_url, "INTERLOCK_WORKERS": "2"}, args=(), log=tmp_path / "serve.log")
    api.wait_ready()
    try:
        before = scrape(api.url)
        user = f"metrics-{uuid.uuid4()}"
        ask = {"agentId": "a", "userId": user, "action": "x", "context": {}}
        with httpx.Client(base_url=api.url, timeout=30) as http:
            ids = [http.post("/interrupts", json=ask | {"urgency": u}).json()["interruptId"] for u in ("high", "low")]
            quick = http.post("/interrupts", json=ask | {"expiresIn": 0.5}).json()["interruptId"]
            http.post(f"/interrupts/{ids[0]}/decide", json={"decision": "approved"})
            http.delete(f"/interrupts/{ids[1]}")
            for _ in range(20):
                assert http.get(f"/interrupts/{ids[0]}").status_code == 200
            assert http.get(f"/interrupts/{quick}?wait=10").json()["status"] == "expired"
        deadline = time.monotonic() + 20
        after = scrape(api.url)
        while delta(after, before, "interlock_interrupts_ended_total", status="expired") < 1:  # the worker records it
            assert time.monotonic() < deadline, "the worker did not record the expiry"
            after = scrape(api.url)
        assert delta(after, before, "interlock_interrupts_created_total") >= 3
        assert delta(after, before, "interlock_interrupts_ended_total", status="approved") >= 1
        assert delta(after, before, "interlock_interrupts_ended_total", status="cancelled") >= 1
        assert delta(after, before, "interlock_time_to_decision_seconds_count") >= 1
        assert delta(after, before, "interlock_time_to_decision_seconds_bucket", le="1.0") >= 1
        assert after[("interlock_redis_up", ())] == 1
        assert ("interlock_interrupts_pending", (("urgency", "high"),)) in after
        route = (("method", "GET"), ("route", "/interrupts/{interrupt_id}"), ("status", "200"))
        key, expected = (
            ("interlock_http_requests_total", route),
            21 + before.get(("interlock_http_requests_total", route), 0),  # 20 reads and the long-poll
        )
        while scrape(api.url).get(key, 0) < expected:  # each worker flushes its counts every second
            assert time.monotonic() < deadline + 10, "request counts never reached the scrape"
        reads = [scrape(api.url)[key] for _ in range(4)]
        assert reads == [expected] * 4  # any worker answers the scrape with the sum over both workers
        assert ("interlock_waiters_open", ()) in after
    finally:
        api.stop()


@pytest.mark.timeout(60)
def test_open_waiters_of_a_worker_that_died_stop_counting(tmp_path: Path) -> None:
    """A killed HTTP worker leaves its live gauge file behind; the next scrape forgets it."""
    directory = tmp_path / "prom"
    directory.mkdir()
    program = (
        "from prometheus_client import Gauge; "
        "Gauge('interlock_waiters_open', 'w', registry=None, multiprocess_mode='livesum').set(7)"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    dead = subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=30)
    assert dead.returncode == 0
    (gauge_file,) = directory.glob("gauge_livesum_*.db")
    pid = int(gauge_file.stem.rsplit("_", 1)[1])

    def waiters() -> float:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(directory))  # type: ignore[no-untyped-call]
        return registry.get_sample_value("interlock_waiters_open") or 0.0

    assert waiters() == 7  # what a scrape reported before
    assert forget_dead_processes(str(directory)) == [pid]
    assert waiters() == 0
    assert forget_dead_processes(str(directory)) == []


async def test_request_labels_stay_bounded() -> None:
    counts = RequestCounts()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})

    async def send(message: Any) -> None:
        return None

    middleware = RequestMetrics(app, counts)
    for i in range(500):
        scope = {"type": "http", "method": f"M{i}" if i % 2 else "GET", "path": f"/made/up/{i}", "headers": []}
        await middleware(scope, None, send)  # type: ignore[arg-type]
    labels = set(counts._counts)
    assert labels == {("other", "unmatched", 404), ("GET", "unmatched", 404)}

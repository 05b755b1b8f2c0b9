"""Through nginx to two API replicas, a worker and Valkey in containers: what an operator and an agent do first."""

import asyncio
import base64
import subprocess
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.containers.conftest import ADMIN_KEY, AGENT_KEY, WEBHOOK_SECRET, Topology
from tests.mcp.conftest import http_client
from tests.processes import poll_until
from tests.test_access_servers import assert_unchanged, sweep

pytestmark = [pytest.mark.containers, pytest.mark.timeout(900)]  # the first one also waits for a cold build
KEY = {"X-API-Key": ADMIN_KEY}
ASK = {"agentId": "agent-1", "userId": "alice", "action": "Pay invoice INV-7", "context": {"amount": 4200}}

# Run inside the second API replica: a long-poll (in a thread) and an SSE stream on its own server.
WAITER = """
import json, threading, httpx
base, key, interrupt_id = "http://127.0.0.1:3002", {"X-API-Key": "%s"}, "%s"
polled = []
poll = threading.Thread(target=lambda: polled.append(
    httpx.get(f"{base}/interrupts/{interrupt_id}?wait=50", headers=key, timeout=60).json()["status"]))
poll.start()
with httpx.stream("GET", f"{base}/interrupts/{interrupt_id}/events", headers=key, timeout=60) as stream:
    for line in stream.iter_lines():
        if line.startswith("data:"):
            state = json.loads(line[5:])["status"]
            print(state, flush=True)
            if state != "pending":
                break
poll.join()
print(polled[0], flush=True)
"""
DECIDER = """
import httpx
print(httpx.post("http://127.0.0.1:3002/interrupts/%s/decide", headers={"X-API-Key": "%s"},
                 json={"decision": "approved", "reason": "ok"}, timeout=30).status_code)
"""


def create(topology: Topology, **extra: Any) -> str:
    made = httpx.post(f"{topology.url}/interrupts", json=ASK | extra, headers={"X-API-Key": AGENT_KEY}, timeout=30)
    assert made.status_code == 201, made.text
    interrupt_id: str = made.json()["interruptId"]
    return interrupt_id


def test_the_proxy_answers_ready(topology: Topology) -> None:
    ready = httpx.get(f"{topology.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_the_readme_session_through_the_proxy(topology: Topology) -> None:
    interrupt_id = create(topology)
    with httpx.Client(base_url=topology.url, headers=KEY, timeout=30) as http:
        assert http.get(f"/interrupts/{interrupt_id}").json()["status"] == "pending"
        decided = http.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved", "reason": "ok"})
        assert decided.status_code == 200, decided.text
        read = http.get(f"/interrupts/{interrupt_id}").json()
    assert (read["status"], read["reason"], read["decidedBy"]) == ("approved", "ok", "admin")
    refused = httpx.post(f"{topology.url}/interrupts/{create(topology)}/decide", json={"decision": "approved"},
                         headers={"X-API-Key": AGENT_KEY}, timeout=30)  # fmt: skip
    assert refused.status_code == 403  # an agent's key never decides, behind the proxy too


def test_a_stream_and_a_long_poll_on_one_replica_wake_on_a_decide_made_on_the_other(topology: Topology) -> None:
    interrupt_id = create(topology)
    code = WAITER % (ADMIN_KEY, interrupt_id)
    waiter = subprocess.Popen(["docker", "exec", topology.container("api", 2), "python", "-c", code],
                              env=topology.docker.env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert waiter.stdout is not None
        assert waiter.stdout.readline().strip() == "pending"  # the stream is open on replica 2
        assert topology.exec_python("api", DECIDER % (interrupt_id, ADMIN_KEY), index=1).strip() == "200"
        assert [waiter.stdout.readline().strip() for _ in range(2)] == ["approved", "approved"]
        assert waiter.wait(30) == 0
    finally:
        waiter.kill()
        waiter.wait(10)
        if waiter.stdout is not None:
            waiter.stdout.close()


def received(topology: Topology) -> list[dict[str, Any]]:
    """Every request the receiver container has kept so far."""
    got: list[dict[str, Any]] = httpx.get(f"{topology.receiver_url}/received", timeout=10).json()
    return got


def delivered_ids(topology: Topology, already: int = 0) -> list[str]:
    """The interrupt id of each webhook the receiver got after its first `already` (from `webhook-id`)."""
    ids = []
    for request in received(topology)[already:]:
        hook = next((str(v) for k, v in request["headers"].items() if k.lower() == "webhook-id"), "")
        ids.append(hook.removeprefix("msg_").split("_")[0])
    return ids


def test_the_worker_container_delivers_a_signed_webhook_to_another_container(topology: Topology) -> None:
    already = len(received(topology))
    interrupt_id = create(topology, callbackUrl="http://receiver:8080/hook")
    httpx.post(f"{topology.url}/interrupts/{interrupt_id}/decide", json={"decision": "rejected", "reason": "no"},
               headers=KEY, timeout=30).raise_for_status()  # fmt: skip
    poll_until(lambda: len(received(topology)) > already, "the webhook to reach the receiver")
    got = received(topology)[already:]
    assert len(got) == 1, got
    body = base64.b64decode(got[0]["body"])
    payload = Webhook(WEBHOOK_SECRET).verify(body, got[0]["headers"])
    assert (payload["interruptId"], payload["status"], payload["decidedBy"]) == (interrupt_id, "rejected", "admin")

    def logged() -> list[Any]:
        answer = httpx.get(f"{topology.url}/interrupts/{interrupt_id}/deliveries", headers=KEY, timeout=30)
        return [(d["statusCode"], d["state"]) for d in answer.json()]

    poll_until(lambda: logged() == [(204, "delivered")], "the delivery log")  # written just after the receiver answered


def test_the_review_page_is_served_through_the_proxy(topology: Topology) -> None:
    interrupt_id = create(topology)
    page = httpx.get(f"{topology.url}/review/{interrupt_id}", timeout=30)
    assert page.status_code == 200 and "Pay invoice INV-7" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_mcp_over_the_proxy(topology: Topology) -> None:
    async def run() -> dict[str, Any]:
        async with http_client(topology.url, ADMIN_KEY) as mcp:
            made = await mcp.call_tool("create_interrupt", ASK)
            assert not made.is_error, made.content
            interrupt_id = made.structured_content["interruptId"]
            read = await mcp.call_tool("get_interrupt_status", {"interruptId": interrupt_id})
            return dict(read.structured_content or {})

    assert asyncio.run(run())["status"] == "pending"


def test_no_spelling_gets_past_nginx_and_the_api_without_a_key(topology: Topology, redis_url: str) -> None:
    interrupt_id, got_in = sweep(topology.url, redis_url, "bypass-user", KEY)
    assert got_in == []
    assert_unchanged(topology.url, interrupt_id, "bypass-user", KEY)

"""Webhooks end to end: real API, real worker, real Redis, a real receiver verifying Standard Webhooks signatures."""

import asyncio
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from service.embedded import free_port
from service.settings import Settings
from service.store import keys
from tests.clients import blocking_client
from tests.receivers import Receiver
from tests.worker.conftest import worker_running

Client = AsyncTestClient[Litestar]
BODY = {"agentId": "payer", "userId": "hook-user", "action": "pay invoice 42", "context": {"amount": 120}}


async def create(api: Client, receiver: Receiver, path: str, **extra: Any) -> str:
    response = await api.post("/interrupts", json=BODY | {"callbackUrl": receiver.url(path)} | extra)
    assert response.status_code == 201, response.text
    interrupt_id: str = response.json()["interruptId"]
    return interrupt_id


async def settled(api: Client, interrupt_id: str, count: int) -> list[dict[str, Any]]:
    """The delivery log once it holds `count` attempts and the last one is final (bounded by the test timeout)."""
    while True:
        log: list[dict[str, Any]] = (await api.get(f"/interrupts/{interrupt_id}/deliveries")).json()
        if len(log) >= count and log[-1]["state"] in ("delivered", "failed"):
            return log
        await asyncio.sleep(0.02)


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_decision_is_delivered_signed_with_the_compat_body(api: Client, receiver: Receiver) -> None:
    interrupt_id = await create(api, receiver, "/decided")
    decision = {"decision": "approved", "reason": "fine", "modifiedParams": {"amount": 100}}
    decided = (await api.post(f"/interrupts/{interrupt_id}/decide", json=decision)).json()
    [got] = await receiver.wait_for("/decided", 1)
    assert got.verified == {
        "interruptId": interrupt_id,
        "status": "approved",
        "decision": "approved",
        "decidedAt": decided["decidedAt"],
        "decidedBy": "anonymous",
        "reason": "fine",
        "modifiedParams": {"amount": 100},
    }
    assert got.headers["webhook-id"] == f"msg_{interrupt_id}_2"
    assert got.headers["content-type"] == "application/json"
    [attempt] = await settled(api, interrupt_id, 1)
    assert attempt | {"at": None, "durationMs": None} == {
        "webhookId": f"msg_{interrupt_id}_2",
        "event": "interrupt.approved",
        "attempt": 1,
        "at": None,
        "statusCode": 204,
        "error": None,
        "durationMs": None,
        "state": "delivered",
    }
    history = (await api.get(f"/interrupts/{interrupt_id}/history")).json()["events"]
    assert [e["event"] for e in history] == ["created", "decided", "webhook-attempt"]
    assert history[-1]["channel"] == "worker"
    assert history[-1]["detail"] == {"event": "interrupt.approved", "attempt": 1, "statusCode": 204,
                                     "state": "delivered"}  # fmt: skip


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_cancel_and_expiry_send_their_compat_bodies(api: Client, receiver: Receiver) -> None:
    cancelled = await create(api, receiver, "/cancelled")
    expiring = await create(api, receiver, "/expired", expiresIn=1)
    await api.delete(f"/interrupts/{cancelled}")
    [got_cancel] = await receiver.wait_for("/cancelled", 1)
    [got_expiry] = await receiver.wait_for("/expired", 1)
    assert got_cancel.verified == {"interruptId": cancelled, "status": "cancelled"}
    assert got_expiry.verified == {"interruptId": expiring, "status": "expired"}


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_an_on_timeout_decision_by_the_worker_sends_the_decided_body(api: Client, receiver: Receiver) -> None:
    interrupt_id = await create(api, receiver, "/timeout", expiresIn=0.5, onTimeout="rejected")
    [got] = await receiver.wait_for("/timeout", 1)
    assert got.verified is not None
    assert {k: got.verified[k] for k in ("interruptId", "status", "decision", "reason", "decidedBy")} == {
        "interruptId": interrupt_id, "status": "rejected", "decision": "rejected",
        "reason": "no decision before the deadline", "decidedBy": "timeout",
    }  # fmt: skip
    record = (await api.get(f"/interrupts/{interrupt_id}")).json()
    assert got.verified["decidedAt"] == record["decidedAt"] == record["expiresAt"]


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_a_typed_answer_is_in_the_decided_body(api: Client, receiver: Receiver) -> None:
    schema = {"type": "object", "properties": {"split": {"type": "integer", "minimum": 1}}}
    interrupt_id = await create(api, receiver, "/answer", responseSchema=schema)
    decision = {"decision": "approved", "response": {"split": 3}}
    assert (await api.post(f"/interrupts/{interrupt_id}/decide", json=decision)).status_code == 200
    [got] = await receiver.wait_for("/answer", 1)
    assert got.verified is not None and got.verified["response"] == {"split": 3}


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_receiver_failing_twice_then_succeeding_gets_three_attempts(api: Client, receiver: Receiver) -> None:
    receiver.respond = lambda _path, n: (503, {}) if n == 1 else (500, {}) if n == 2 else (200, {})
    interrupt_id = await create(api, receiver, "/flaky")
    await api.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "rejected"})
    got = await receiver.wait_for("/flaky", 3)
    log = await settled(api, interrupt_id, 3)
    assert {g.headers["webhook-id"] for g in got} == {f"msg_{interrupt_id}_2"}
    assert all(g.verified is not None for g in got)
    assert [(a["attempt"], a["statusCode"], a["state"]) for a in log] == [
        (1, 503, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    assert all(a["nextAttemptAt"] for a in log[:2])


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_410_stops_at_once_and_the_delivery_is_listed_as_failed(api: Client, receiver: Receiver) -> None:
    receiver.respond = lambda _path, _n: (410, {})
    interrupt_id = await create(api, receiver, "/gone")
    await api.delete(f"/interrupts/{interrupt_id}")
    [attempt] = await settled(api, interrupt_id, 1)
    assert (attempt["statusCode"], attempt["state"]) == (410, "failed")
    failed = (await api.get("/deliveries", params={"state": "failed"})).json()
    assert [f["interruptId"] for f in failed] == [interrupt_id]
    assert failed[0]["lastAttempt"]["statusCode"] == 410


@pytest.mark.timeout(60)
async def test_whole_retry_schedule_runs_then_fails(api: Client, receiver: Receiver, worker_settings: Settings) -> None:
    receiver.respond = lambda _path, _n: (500, {})
    interrupt_id = await create(api, receiver, "/down")
    await api.delete(f"/interrupts/{interrupt_id}")
    async with worker_running(msgspec.structs.replace(worker_settings, retry_scale=0.0001)):
        log = await settled(api, interrupt_id, 8)  # the 27.6 h schedule at 1/10,000 speed: ~10 s
    assert [a["attempt"] for a in log] == list(range(1, 9))
    assert [a["state"] for a in log] == ["retrying"] * 7 + ["failed"]
    assert len(receiver.received["/down"]) == 8


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_429_and_network_errors_are_retried(api: Client, receiver: Receiver) -> None:
    receiver.respond = lambda _path, n: (429, {"Retry-After": "1"}) if n == 1 else (204, {})
    throttled = await create(api, receiver, "/throttled")
    await api.delete(f"/interrupts/{throttled}")
    log = await settled(api, throttled, 2)
    assert [(a["statusCode"], a["state"]) for a in log] == [(429, "retrying"), (204, "delivered")]


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_redeliver_resends_with_the_same_webhook_id(api: Client, receiver: Receiver) -> None:
    interrupt_id = await create(api, receiver, "/again")
    await api.post(f"/interrupts/{interrupt_id}/decide", json={"decision": "approved"})
    await settled(api, interrupt_id, 1)
    answer = await api.post(f"/interrupts/{interrupt_id}/deliveries/redeliver")
    assert answer.status_code == 202
    assert answer.json() == {"interruptId": interrupt_id, "webhookId": f"msg_{interrupt_id}_2", "status": "queued"}
    got = await receiver.wait_for("/again", 2)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    assert got[0].body == got[1].body
    too_soon = await api.post(f"/interrupts/{interrupt_id}/deliveries/redeliver")  # rate-limited per interrupt
    assert too_soon.status_code == 429
    assert 1 <= int(too_soon.headers["retry-after"]) <= 10
    assert too_soon.json()["error"].startswith("a redelivery of this interrupt was queued moments ago")


@pytest.mark.timeout(30)
async def test_redeliver_and_deliveries_errors(api: Client, receiver: Receiver) -> None:
    pending = await create(api, receiver, "/never")
    plain = (await api.post("/interrupts", json=BODY)).json()["interruptId"]
    await api.delete(f"/interrupts/{plain}")
    still = await api.post(f"/interrupts/{pending}/deliveries/redeliver")
    assert (still.status_code, still.json()["error"]) == (
        409,
        "Interrupt is still pending: there is no event to deliver yet",
    )
    none = await api.post(f"/interrupts/{plain}/deliveries/redeliver")
    assert (none.status_code, none.json()["error"]) == (409, "Interrupt has no callbackUrl")
    unknown = await api.get("/interrupts/00000000-0000-4000-8000-000000000000/deliveries")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "Interrupt not found")
    bad = await api.get("/deliveries", params={"state": "retrying"})
    assert bad.status_code == 400
    assert "state" in bad.json()["error"]
    assert (await api.get(f"/interrupts/{pending}/deliveries")).json() == []


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_network_errors_are_retried_with_the_error_logged(api: Client) -> None:
    closed = f"http://127.0.0.1:{free_port()}/nobody-listens"
    interrupt_id = (await api.post("/interrupts", json=BODY | {"callbackUrl": closed})).json()["interruptId"]
    await api.delete(f"/interrupts/{interrupt_id}")
    while True:  # poll the log (bounded by the test timeout), letting the worker in this loop run
        log = (await api.get(f"/interrupts/{interrupt_id}/deliveries")).json()
        if len(log) >= 2:
            break
        await asyncio.sleep(0.02)
    assert [(a["attempt"], a["statusCode"], a["state"]) for a in log[:2]] == [
        (1, None, "retrying"),
        (2, None, "retrying"),
    ]
    assert all(a["error"] for a in log[:2])


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_a_decided_loop_sends_one_signed_webhook(api: Client, receiver: Receiver) -> None:
    loop_body = {"loop_name": "ship", "loop_description": "release", "participants": ["a@x.io", "b@x.io"],
                 "participant_timeout": 60_000, "callback_url": receiver.url("/loop")}  # fmt: skip
    loop = (await api.post("/v1/loop/create", json=loop_body)).json()["data"]["loop_data"]
    first, second = (p["promise_id"] for p in loop["participants"])
    await api.post(f"/v1/loop/participant/resolve/{first}", json={"accept": False})
    [got] = await receiver.wait_for("/loop", 1)
    assert got.headers["webhook-id"] == f"msg_{loop['loop_id']}_2"
    assert got.verified == {
        "loop_id": loop["loop_id"],
        "status": "REJECTED",
        "message": "participant rejected",
        "results": [
            {"email": "a@x.io", "promise_id": first, "accept": False, "state": "RESOLVED"},
            {"email": "b@x.io", "promise_id": second, "accept": None, "state": "CANCELLED"},
        ],
    }
    while True:  # the attempt is logged after the answer arrives: poll the log (bounded by the test timeout)
        log = (await api.get(f"/v1/loop/deliveries/{loop['loop_id']}")).json()
        if log["data"]:
            break
        await asyncio.sleep(0.02)
    [attempt] = log["data"]
    assert (log["success"], attempt["webhookId"], attempt["event"]) == (
        True,
        got.headers["webhook-id"],
        "loop.rejected",
    )
    assert (attempt["statusCode"], attempt["state"]) == (204, "delivered")
    unknown = await api.get("/v1/loop/deliveries/00000000-0000-4000-8000-000000000000")
    assert (unknown.status_code, unknown.json()["success"]) == (404, False)


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("worker")
async def test_a_timed_out_loop_sends_its_webhook(api: Client, receiver: Receiver) -> None:
    loop_body = {"loop_name": "ship", "loop_description": "release", "participants": ["a@x.io"],
                 "participant_timeout": 300, "callback_url": receiver.url("/loop-timeout")}  # fmt: skip
    loop = (await api.post("/v1/loop/create", json=loop_body)).json()["data"]["loop_data"]
    [got] = await receiver.wait_for("/loop-timeout", 1)
    assert got.verified is not None
    assert (got.verified["loop_id"], got.verified["status"], got.verified["message"]) == (
        loop["loop_id"],
        "REJECTED",
        "participant timed out",
    )
    assert got.verified["results"][0]["state"] == "REJECTED_TIMEDOUT"


@pytest.mark.timeout(30)
async def test_without_webhook_secret_one_is_generated_kept_and_used(
    api: Client, receiver: Receiver, worker_settings: Settings, worker_url: str
) -> None:
    settings = msgspec.structs.replace(worker_settings, webhook_secret=None)
    async with worker_running(settings), blocking_client(worker_url) as redis:
        interrupt_id = await create(api, receiver, "/generated")
        await api.delete(f"/interrupts/{interrupt_id}")
        [got] = await receiver.wait_for("/generated", 1)
        kept = await redis.get(keys.webhook_secret())
    assert isinstance(kept, str) and kept.startswith("whsec_")
    assert Webhook(kept).verify(got.body, got.headers) == {"interruptId": interrupt_id, "status": "cancelled"}
    async with worker_running(settings), blocking_client(worker_url) as redis:
        again = await create(api, receiver, "/generated")
        await api.delete(f"/interrupts/{again}")
        [_, second] = await receiver.wait_for("/generated", 2)
        assert await redis.get(keys.webhook_secret()) == kept  # a restarted worker keeps it
    assert Webhook(kept).verify(second.body, second.headers)["interruptId"] == again

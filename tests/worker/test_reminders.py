"""Reminders and escalation: due times driven by a clock the test moves, two workers, a real SMTP sink and receiver."""

import asyncio
from collections import Counter
from typing import Any

import pytest

from service.app import create_app
from service.clock import FrozenClock
from service.settings import Settings
from service.store import keys
from tests.asgi import local_client
from tests.clients import blocking_client
from tests.mailsink import MailSink
from tests.receivers import Receiver
from tests.worker.conftest import worker_running

ASK = {"agentId": "deploy-bot", "userId": "ops", "action": "Ship 2.0", "context": {"tag": "v2.0"}}
CAROL, DAVE, ERIN = "carol@example.com", "dave@example.com", "erin@example.com"


def counts(sink: MailSink) -> Counter[str]:
    return Counter({to: len(mails) for to, mails in sink.received.items()})


@pytest.mark.timeout(90)
async def test_each_reminder_and_the_escalation_reach_each_reviewer_exactly_once_across_two_workers(
    mail_settings: Settings, sink: MailSink, receiver: Receiver, worker_url: str
) -> None:
    clock = FrozenClock()
    async with local_client(create_app(mail_settings, clock=clock)) as api:
        body = ASK | {"reviewers": [CAROL, DAVE], "remindEvery": 60, "escalateAfter": 150, "expiresIn": 600,
                      "escalateTo": [ERIN, "Carol@Example.com"], "callbackUrl": receiver.url("/remind")}  # fmt: skip
        made = await api.post("/interrupts", json=body)
        assert made.status_code == 201, made.text
        interrupt_id = made.json()["interruptId"]
        async with worker_running(mail_settings, clock), worker_running(mail_settings, clock):
            await sink.wait_until(lambda got: counts(sink) == {CAROL: 1, DAVE: 1})
            clock.advance(60_000)  # reminder 1
            await sink.wait_until(lambda got: counts(sink) == {CAROL: 2, DAVE: 2})
            [first] = await receiver.wait_for("/remind", 1)
            clock.advance(60_000)  # reminder 2
            await sink.wait_until(lambda got: counts(sink) == {CAROL: 3, DAVE: 3})
            clock.advance(30_000)  # the escalation: erin is added (carol already reviews)
            await sink.wait_until(lambda got: counts(sink) == {CAROL: 3, DAVE: 3, ERIN: 1})
            clock.advance(30_000)  # reminder 3, now erin's too
            await sink.wait_until(lambda got: counts(sink) == {CAROL: 4, DAVE: 4, ERIN: 2})
            hooks = await receiver.wait_for("/remind", 3)
        assert counts(sink) == {CAROL: 4, DAVE: 4, ERIN: 2}  # the workers have stopped: nothing more was sent
        assert len(receiver.received["/remind"]) == 3
        assert first.verified == {"interruptId": interrupt_id, "status": "pending", "event": "reminder",
                                  "reminder": 1, "expiresAt": made.json()["expiresAt"]}  # fmt: skip
        assert [h.headers["webhook-id"] for h in hooks] == [f"msg_{interrupt_id}_reminder_{n}" for n in (1, 2, 3)]
        subjects = [m["Subject"] for m in sink.received[CAROL]]
        assert subjects == ["Approval requested: Ship 2.0"] + ["Reminder: approval requested: Ship 2.0"] * 3
        assert sink.received[ERIN][0]["Subject"] == "Approval requested: Ship 2.0"
        events = (await api.get(f"/interrupts/{interrupt_id}/history")).json()["events"]
        nudges = [(e["event"], e.get("detail")) for e in events if e["event"] in ("reminder", "escalated")]
        assert nudges == [("reminder", {"reminder": 1}), ("reminder", {"reminder": 2}),
                          ("escalated", {"added": [ERIN]}), ("reminder", {"reminder": 3})]  # fmt: skip
        mails = Counter((e["detail"]["reviewer"], e["detail"].get("reminder", 0)) for e in events
                        if e["event"] == "review-mail" and e["detail"]["state"] == "sent")  # fmt: skip
        assert set(mails.values()) == {1} and len(mails) == 10
        hook_events = [e["detail"] for e in events if e["event"] == "webhook-attempt"]
        assert [(d["reminder"], d["state"]) for d in hook_events] == [(1, "delivered"), (2, "delivered"),
                                                                      (3, "delivered")]  # fmt: skip
        read = (await api.get(f"/interrupts/{interrupt_id}")).json()
        assert read["status"] == "pending"
        page = (await api.get(f"/review/{interrupt_id}")).text  # the review page's history section says it all
        for said in (
            "Reminder 1 sent",
            "Reminder 1 mailed to carol@example.com",
            "Escalated to erin@example.com",
            "Review link mailed to erin@example.com",
            "Reminder 3 mailed to erin@example.com",
        ):
            assert said in page, said


@pytest.mark.timeout(60)
async def test_a_decided_interrupt_is_not_reminded_and_leaves_the_index(mail_settings: Settings, sink: MailSink,
                                                                        worker_url: str) -> None:  # fmt: skip
    clock = FrozenClock()
    redis = blocking_client(worker_url, decode=False)
    try:
        async with local_client(create_app(mail_settings, clock=clock)) as api:
            made = (await api.post("/interrupts", json=ASK | {"reviewers": [CAROL], "remindEvery": 60})).json()
            async with worker_running(mail_settings, clock):
                await sink.wait_until(lambda got: counts(sink) == {CAROL: 1})
                assert (
                    await redis.zscore(keys.nudges(keys.partition_of(made["interruptId"])), made["interruptId"])
                    is not None
                )
                await api.post(f"/interrupts/{made['interruptId']}/decide", json={"decision": "approved"})
                clock.advance(120_000)
                while True:  # poll (bounded by the test timeout): the sweep finds it decided and drops it
                    if not await redis.zcard(keys.nudges(keys.partition_of(made["interruptId"]))):
                        break
                    await asyncio.sleep(0.02)
            assert counts(sink) == {CAROL: 1}
            events = (await api.get(f"/interrupts/{made['interruptId']}/history")).json()["events"]
            assert not [e for e in events if e["event"] == "reminder"]
    finally:
        await redis.aclose()


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"remindEvery": 59, "reviewers": [CAROL]}, "remindEvery", "from 60"),
    ({"remindEvery": "60", "reviewers": [CAROL]}, "remindEvery", "from 60"),
    ({"remindEvery": 60}, "remindEvery", "needs someone to remind"),
    ({"escalateAfter": 60}, "escalateTo", "go together"),
    ({"escalateTo": [ERIN]}, "escalateAfter", "go together"),
    ({"escalateAfter": 0, "escalateTo": [ERIN]}, "escalateAfter", "greater than 0"),
    ({"escalateAfter": 60, "escalateTo": []}, "escalateTo", "1 to 20"),
    ({"escalateAfter": 60, "escalateTo": ["x,y@example.com"]}, "escalateTo", ""),
    ({"escalateAfter": 60, "escalateTo": [ERIN, "Erin@example.com"]}, "escalateTo", ""),
]


@pytest.mark.parametrize(("extra", "field", "said"), BAD, ids=range(len(BAD)))
async def test_bad_reminder_and_escalation_fields_are_refused_naming_the_field(
    mail_api: Any, extra: dict[str, Any], field: str, said: str
) -> None:
    refused = await mail_api.post("/interrupts", json=ASK | extra)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == field and said in refused.json()["error"]

"""Reviewers named at create are mailed their own signed link (real SMTP sink, real worker); it decides as them."""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.mailsink import MailSink
from tests.worker.conftest import worker_running

Client = AsyncTestClient[Litestar]
ASK = {"agentId": "deploy-bot", "userId": "ops", "action": "Ship <b>2.0</b>", "context": {"tag": "v2.0"}}


def link_in(sink: MailSink, reviewer: str) -> str:
    text: str = sink.received[reviewer][0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"Review and decide: (\S+)", text)
    assert found, text
    return found.group(1)


@pytest.mark.timeout(60)
async def test_each_reviewer_gets_a_link_that_decides_as_them(mail_api: Client, sink: MailSink) -> None:
    sink.refusals["dave@example.com"] = 1  # dave's first try is refused: the worker retries it
    made = (
        await mail_api.post("/interrupts", json=ASK | {"reviewers": ["carol@example.com", "dave@example.com"]})
    ).json()
    interrupt_id = made["interruptId"]
    async with worker_running(mail_api.app.state.services.settings):
        await sink.wait_until(lambda got: len(got) == 2)
    message = sink.received["carol@example.com"][0]
    assert message["Subject"] == "Approval requested: Ship <b>2.0</b>"
    assert "Ship &lt;b&gt;2.0&lt;/b&gt;" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    carol, dave = link_in(sink, "carol@example.com"), link_in(sink, "dave@example.com")
    assert carol != dave and f"/review/{interrupt_id}?" in carol
    parts = urlsplit(carol)
    page = (await mail_api.get(f"{parts.path}?{parts.query}")).text
    assert "Deciding as <strong>carol@example.com</strong>" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    form = {"csrf": csrf, "decision": "approved"} | query
    assert (await mail_api.post(f"/review/{interrupt_id}/decide", data=form, follow_redirects=False)).status_code == 303
    record = (await mail_api.get(f"/interrupts/{interrupt_id}")).json()
    assert (record["status"], record["decidedBy"]) == ("approved", "carol@example.com")
    events = (await mail_api.get(f"/interrupts/{interrupt_id}/history")).json()["events"]
    mails = [(e["detail"]["reviewer"], e["detail"]["attempt"], e["detail"]["state"]) for e in events
             if e["event"] == "review-mail"]  # fmt: skip
    assert sorted(mails) == [("carol@example.com", 1, "sent"), ("dave@example.com", 1, "retrying"),
                             ("dave@example.com", 2, "sent")]  # fmt: skip
    last = events[-1]
    assert (last["event"], last["actor"], last["channel"]) == ("decided", "carol@example.com", "email")


@pytest.mark.parametrize(
    "reviewers",
    ["carol@example.com", ["not an address"], ["a@example.com, b@example.com"], ["Carol <c@example.com>"],
     ["a@example.com", "A@example.com"], [f"r{i}@example.com" for i in range(21)], [5]],
)  # fmt: skip
async def test_reviewers_are_each_exactly_one_address(mail_api: Client, reviewers: Any) -> None:
    answer = await mail_api.post("/interrupts", json=ASK | {"reviewers": reviewers})
    assert answer.status_code == 400
    assert answer.json()["field"] == "reviewers" and "email addresses" in answer.json()["error"]

"""Loop invitations by email through a real SMTP sink: links work, failures are retried, status shows it."""

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.domain.loops import Loop, Participant
from service.settings import Settings
from tests.asgi import local_client
from tests.mailsink import MailSink
from tests.worker.conftest import worker_running
from worker import mail


@pytest.mark.timeout(60)
async def test_participants_get_their_links_by_mail_and_the_links_work(
    mail_api: AsyncTestClient[Litestar], sink: MailSink, mail_settings: Settings
) -> None:
    sink.refusals["b@example.com"] = 1  # the first try for b is refused: retried by the worker
    body = {"loop_name": "Ship <b>2.0</b>", "loop_description": "Release notes & risks", "participant_timeout": 600_000,
            "participants": ["a@example.com", "b@example.com"]}  # fmt: skip
    loop = (await mail_api.post("/v1/loop/create", json=body)).json()["data"]["loop_data"]
    async with worker_running(mail_settings):
        await sink.wait_until(lambda got: len(got) == 2)
    for participant in loop["participants"]:
        [message] = sink.received[participant["email"]]
        assert message["Subject"] == "Your decision is needed: Ship <b>2.0</b>"
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert participant["accept_link"] in text
        assert participant["reject_link"] in text
        assert "Ship &lt;b&gt;2.0&lt;/b&gt;" in page
        assert "Release notes &amp; risks" in page
    status = (await mail_api.get(f"/v1/loop/status/{loop['loop_id']}")).json()["data"]
    assert status["invitations"] == [
        {"email": "a@example.com", "state": "sent", "attempts": 1},
        {"email": "b@example.com", "state": "sent", "attempts": 2},
    ]
    for participant in loop["participants"]:  # follow each mailed link as a browser would: page, then confirm
        text = sink.received[participant["email"]][0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = re.search(r"Accept: (\S+)", text).group(1).removeprefix("http://localhost:3002")  # type: ignore[union-attr]
        shown = await mail_api.get(link, headers={"Accept": "text/html"})
        assert shown.status_code == 200
        assert (await mail_api.post(link)).status_code == 200
    assert (await mail_api.get(f"/v1/loop/status/{loop['loop_id']}")).json()["data"]["status"] == "ACCEPTED"


@pytest.mark.timeout(30)
async def test_without_smtp_no_invitation_is_queued(worker_settings: Settings) -> None:
    async with local_client(create_app(worker_settings)) as client:
        body = {"loop_name": "n", "loop_description": "", "participant_timeout": 60_000, "participants": ["a@x.io"]}
        loop = (await client.post("/v1/loop/create", json=body)).json()["data"]["loop_data"]
        status = (await client.get(f"/v1/loop/status/{loop['loop_id']}")).json()["data"]
    assert "invitations" not in status


def test_names_with_line_breaks_make_a_safe_subject() -> None:
    participant = Participant(email="a@example.com", promise_id="p", state="PENDING", accept=None)
    loop = Loop(id="l", name="Ship\r\nBcc: attacker@evil.example\r\n\r\nbody", description="d", timeout_ms=60_000,
                policy="all", status="PENDING", message=None, created_at=0, deadline=60_000, version=1,
                participants=(participant,))  # fmt: skip
    message = mail.invitation(loop, 0, "http://localhost:3002", "interlock@example.com")
    assert message["Subject"] == "Your decision is needed: Ship Bcc: attacker@evil.example body"
    assert message["Bcc"] is None
    assert b"\r\nBcc:" not in message.as_bytes()
    assert mail.header_text("é" * 300).endswith("…") and len(mail.header_text("é" * 300)) == 200

"""The whole loop by email: the worker mails each participant, Chromium follows the mailed link and confirms."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.mailsink import MailSink, running
from tests.processes import ServeProcess

MAIL_DB = 9  # this test's worker consumes every outbox entry of its database: its own database


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with running() as found:
        yield found


@pytest.mark.timeout(90)
async def test_mailed_links_followed_in_chromium_resolve_the_loop(
    browser: Browser, sink: MailSink, redis_url: str, tmp_path: Path
) -> None:
    db_url = f"{redis_url.rsplit('/', 1)[0]}/{MAIL_DB}"
    env = {"REDIS_URL": db_url, "SMTP_URL": f"smtp://127.0.0.1:{sink.port}", "SMTP_FROM": "interlock@example.com"}
    api = ServeProcess(env, args=(), log=tmp_path / "serve.log").wait_ready()  # with its worker: it sends mail
    try:
        body = {"loop_name": "Ship 2.0", "loop_description": "All checks are green.", "participant_timeout": 600_000,
                "participants": ["ana@example.com", "bo@example.com"]}  # fmt: skip
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
            loop = (await http.post("/v1/loop/create", json=body)).json()["data"]["loop_data"]
            await sink.wait_until(lambda got: len(got) == 2)
            for participant in loop["participants"]:
                text = sink.received[participant["email"]][0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
                link = re.search(r"Accept: (\S+)", text).group(1)  # type: ignore[union-attr]
                page = await browser.new_page()
                await page.goto(link.replace("://localhost:", "://127.0.0.1:"))
                await expect(page.get_by_text(participant["email"], exact=True)).to_be_visible()
                before = (await http.get(f"/v1/loop/status/{loop['loop_id']}")).json()["data"]
                assert before["status"] == "PENDING"  # opening the mailed link decided nothing
                await page.get_by_role("button", name="Confirm: accept").click()
                await expect(page.locator("body")).to_contain_text("Your answer: accept")
                await page.close()
            await expect_status(http, loop["loop_id"], "ACCEPTED")
    finally:
        api.stop()


async def expect_status(http: httpx.AsyncClient, loop_id: str, status: str) -> None:
    """The loop's status as the API reports it."""
    data = (await http.get(f"/v1/loop/status/{loop_id}")).json()["data"]
    assert data["status"] == status and data["resolved"] is True
    assert [i["state"] for i in data["invitations"]] == ["sent", "sent"]

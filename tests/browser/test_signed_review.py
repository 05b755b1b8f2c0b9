"""Signed review links end to end in Chromium: the agent's reviewUrl cannot decide; minted and mailed links do."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.conftest import AGENT_KEY, API_KEY, KEY_ENV, REVIEWER_KEY
from tests.mailsink import MailSink, running
from tests.processes import ServeProcess

SIGNED_DB = 10  # this test's worker consumes every outbox entry of its database: its own database
AGENT = {"X-API-Key": AGENT_KEY}
REVIEWER = {"X-API-Key": REVIEWER_KEY}


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with running() as found:
        yield found


@pytest.fixture
def api(sink: MailSink, redis_url: str, tmp_path: Path) -> Iterator[ServeProcess]:
    """`interlock serve` with role keys (so review links are signed) and its worker mailing through the sink."""
    env = KEY_ENV | {"REDIS_URL": f"{redis_url.rsplit('/', 1)[0]}/{SIGNED_DB}",
                     "SMTP_URL": f"smtp://127.0.0.1:{sink.port}", "SMTP_FROM": "interlock@example.com"}  # fmt: skip
    proc = ServeProcess(env, args=(), log=tmp_path / "serve.log").wait_ready()
    try:
        yield proc
    finally:
        proc.stop()


def local(url: str, api: ServeProcess) -> str:
    return re.sub(r"^http://localhost:\d+", api.url, url)


async def create(http: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"agentId": "payer-bot", "userId": "finance", "action": "Pay invoice INV-9", "context": {"eur": 90}}
    made: dict[str, Any] = (await http.post("/interrupts", json=body | extra, headers=AGENT)).json()
    return made


async def decided_by(http: httpx.AsyncClient, interrupt_id: str) -> tuple[str, str | None]:
    record = (await http.get(f"/interrupts/{interrupt_id}", headers=AGENT)).json()
    return record["status"], record.get("decidedBy")


@pytest.mark.timeout(90)
async def test_the_agents_review_url_shows_but_cannot_decide(browser: Browser, api: ServeProcess) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        made = await create(http)
        page = await browser.new_page()
        await page.goto(local(made["reviewUrl"], api))
        await expect(page.get_by_role("heading", name="Pay invoice INV-9")).to_be_visible()
        await expect(page.get_by_role("note")).to_contain_text("Waiting for a reviewer")
        assert await page.get_by_role("button", name="Approve").count() == 0
        # a token scraped from a reviewer's page, posted from the agent's page, is refused
        link = (await http.post(f"/interrupts/{made['interruptId']}/review-links", json={"reviewer": "mia@example.com"},
                                headers=REVIEWER)).json()  # fmt: skip
        scraped = re.search(r'name="csrf" value="([^"]+)"', (await http.get(local(link["url"], api))).text)
        assert scraped
        answer = await page.evaluate(
            """async ([id, csrf]) => (await fetch(`/review/${id}/decide`, {method: "POST",
                 body: new URLSearchParams({csrf, decision: "approved"})})).status""",
            [made["interruptId"], scraped.group(1)],
        )
        assert answer == 403
        assert await decided_by(http, made["interruptId"]) == ("pending", None)


@pytest.mark.timeout(90)
async def test_a_minted_link_decides_as_its_reviewer(browser: Browser, api: ServeProcess) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        made = await create(http)
        link = (await http.post(f"/interrupts/{made['interruptId']}/review-links", json={"reviewer": "mia@example.com"},
                                headers=REVIEWER)).json()  # fmt: skip
        page = await browser.new_page()
        await page.goto(local(link["url"], api))
        await expect(page.get_by_text("Deciding as mia@example.com")).to_be_visible()
        await page.get_by_role("button", name="Reject").click()
        await expect(page.get_by_role("status")).to_contain_text("Rejected")
        await expect(page.get_by_role("status")).to_contain_text("by mia@example.com")
        assert await decided_by(http, made["interruptId"]) == ("rejected", "mia@example.com")


@pytest.mark.timeout(90)
async def test_a_mailed_link_decides_as_its_reviewer(browser: Browser, api: ServeProcess, sink: MailSink) -> None:
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        made = await create(http, reviewers=["erin@example.com"])
        await sink.wait_until(lambda got: "erin@example.com" in got)
        text = sink.received["erin@example.com"][0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = re.search(r"Review and decide: (\S+)", text)
        assert link, text
        page = await browser.new_page()
        await page.goto(local(link.group(1), api))
        await expect(page.get_by_text("Deciding as erin@example.com")).to_be_visible()
        await page.get_by_role("button", name="Approve").click()
        await expect(page.get_by_role("status")).to_contain_text("Approved")
        assert await decided_by(http, made["interruptId"]) == ("approved", "erin@example.com")
        history = (await http.get(f"/interrupts/{made['interruptId']}/history", headers={"X-API-Key": API_KEY})).json()
        assert [e["event"] for e in history["events"]] == ["created", "review-mail", "decided"]
        assert history["events"][-1]["channel"] == "email"

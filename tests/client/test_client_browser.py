"""`ask` returns the moment a reviewer approves on the review page, in a real Chromium."""

import asyncio

import pytest
from playwright.async_api import Browser, expect

from interlock_client import AsyncInterlock
from tests.browser.conftest import browser  # noqa: F401  (the fixture)
from tests.client.conftest import Reviewer, agent_args
from tests.processes import ServeProcess


@pytest.mark.timeout(90)
async def test_ask_returns_when_a_reviewer_decides_on_the_review_page(
    browser: Browser,  # noqa: F811
    api: ServeProcess,
    reviewer: Reviewer,
    user: str,
) -> None:
    async with AsyncInterlock(**agent_args(api)) as il:
        asked = asyncio.create_task(il.ask("Pay invoice INV-11", context={"eur": 40}, user_id=user, agent_id="billing"))
        interrupt_id = await asyncio.to_thread(reviewer.first_pending, user)
        minted = await asyncio.to_thread(
            reviewer.http.post, f"/interrupts/{interrupt_id}/review-links", json={"reviewer": "mia@example.com"}
        )
        page = await browser.new_page()
        await page.goto(minted.json()["url"])
        await page.get_by_role("button", name="Approve").click()
        await expect(page.get_by_role("status")).to_contain_text("Approved")
        decision = await asyncio.wait_for(asked, 30)
    assert decision.approved and decision.id == interrupt_id and decision.decided_by == "mia@example.com"

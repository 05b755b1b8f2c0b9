"""The inbox in headless Chromium: it updates itself as requests arrive and are decided elsewhere."""

import uuid

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.processes import ServeProcess


@pytest.mark.timeout(60)
async def test_inbox_updates_live_and_links_to_the_review_page(browser: Browser, two_apis: list[ServeProcess]) -> None:
    page_api, agent_api = two_apis
    user = f"inbox-{uuid.uuid4()}"
    page = await browser.new_page()
    await page.goto(f"{page_api.url}/inbox/{user}")
    await expect(page.get_by_text("Nothing is waiting for a decision.")).to_be_visible()
    async with httpx.AsyncClient(timeout=30) as http:
        ask = {"agentId": "bot", "userId": user, "context": {}}
        low = await http.post(f"{agent_api.url}/interrupts", json=ask | {"action": "Rotate keys", "urgency": "low"})
        await expect(page.get_by_role("link", name="Rotate keys")).to_be_visible()
        await http.post(f"{agent_api.url}/interrupts", json=ask | {"action": "Wire $9,000", "urgency": "high"})
        await expect(page.locator(".action")).to_have_text(["Wire $9,000", "Rotate keys"])
        await http.post(f"{agent_api.url}/interrupts", json=ask | {"action": "Check logs", "urgency": "medium"})
        await expect(page.locator(".action")).to_have_text(["Wire $9,000", "Check logs", "Rotate keys"])
        await expect(page.locator(".countdown").first).to_contain_text("expires in")
        await expect(page.locator(".count")).to_have_text("3 requests waiting, most urgent first")
        assert (await page.title()).startswith("(3) ")
        decided = await http.post(
            f"{agent_api.url}/interrupts/{low.json()['interruptId']}/decide", json={"decision": "rejected"}
        )
        assert decided.status_code == 200
        await expect(page.locator(".action")).to_have_text(["Wire $9,000", "Check logs"])
        await expect(page.locator(".countdown").last).to_contain_text("expires in")  # new lines count down too
    await page.get_by_role("link", name="Wire $9,000").click()
    await expect(page.get_by_role("heading", name="Wire $9,000")).to_be_visible()
    await expect(page.get_by_role("button", name="Approve")).to_be_visible()

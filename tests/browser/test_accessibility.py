"""Accessibility: axe-core finds no violation on any page, light or dark; the review page works by keyboard."""

import uuid
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, expect

from tests.processes import ServeProcess

ASK = {"agentId": "payer-bot", "action": "Pay invoice INV-9", "context": {"amount": 120, "to": "ACME"}}


async def pages_to_check(base: str) -> list[str]:
    """One URL of each kind of page: pending and decided review, inbox, loop confirm, not found."""
    user = f"a11y-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=base) as http:
        pending = (await http.post("/interrupts", json=ASK | {"userId": user, "urgency": "high"})).json()
        decided = (await http.post("/interrupts", json=ASK | {"userId": user})).json()
        await http.post(f"/interrupts/{decided['interruptId']}/decide", json={"decision": "rejected", "reason": "no"})
        body = {"loop_name": "Ship 2.0", "loop_description": "release", "participants": ["a@x.io"],
                "participant_timeout": 600_000}  # fmt: skip
        loop: Any = (await http.post("/v1/loop/create", json=body)).json()["data"]["loop_data"]
    confirm = loop["participants"][0]["accept_link"].split("/v1/", 1)[1]
    return [
        f"/review/{pending['interruptId']}",
        f"/review/{decided['interruptId']}",
        f"/inbox/{user}",
        f"/v1/{confirm}",
        "/review/no-such-interrupt",
    ]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_axe_finds_no_violations(browser: Browser, two_apis: list[ServeProcess], scheme: Any) -> None:
    base = two_apis[0].url
    context = await browser.new_context(color_scheme=scheme, bypass_csp=True)  # the CSP would block axe's script
    page = await context.new_page()
    axe = Axe()
    found = {}
    for path in await pages_to_check(base):
        await page.goto(f"{base}{path}", wait_until="load")
        results = await axe.run(page)
        assert results.response["testEngine"]["name"] == "axe-core" and results.response["url"] == f"{base}{path}"
        found[path] = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]]
    await context.close()
    assert found == {path: [] for path in found}


@pytest.mark.timeout(60)
async def test_the_review_page_works_by_keyboard(browser: Browser, two_apis: list[ServeProcess]) -> None:
    base = two_apis[0].url
    async with httpx.AsyncClient(base_url=base) as http:
        created = (await http.post("/interrupts", json=ASK | {"userId": "keyboard"})).json()
    page = await browser.new_page()
    await page.goto(f"{base}/review/{created['interruptId']}")
    order = []
    for _ in range(4):
        await page.keyboard.press("Tab")
        order.append(await page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert order == ["reason", "Approve with changes", "Approve", "Reject"]
    visible_focus = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert visible_focus != "none"
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")  # Approve, from the keyboard
    await expect(page.get_by_role("status")).to_contain_text("Approved")
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get(f"/interrupts/{created['interruptId']}")).json()["status"] == "approved"

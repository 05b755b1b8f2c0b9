"""A responseSchema as a real form in Chromium: every input kind, browser hints, the server's errors by field, no JS."""

import asyncio
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.processes import ServeProcess

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "amount": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 5000,
            "title": "Amount to pay",
            "description": "In euros",
        },
        "installments": {"type": "integer", "minimum": 1, "maximum": 12, "default": 1},
        "account": {"type": "string", "enum": ["checking", "savings"], "title": "Account"},
        "payOn": {"type": "string", "format": "date", "title": "Pay on"},
        "notify": {"type": "string", "format": "email", "title": "Notify"},
        "receipt": {"type": "string", "format": "uri", "title": "Receipt link"},
        "memo": {"type": "string", "maxLength": 20, "title": "Memo"},
        "note": {"type": "string", "maxLength": 500, "title": "Note"},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "tags": {"type": "array", "items": {"enum": ["tax", "vendor", "refund"]}, "title": "Tags"},
    },
    "required": ["amount", "account"],
}


async def create(base: str) -> str:
    body = {"agentId": "payer-bot", "userId": "alice", "action": "Pay invoice INV-9", "context": {"amount": 120},
            "responseSchema": SCHEMA}  # fmt: skip
    async with httpx.AsyncClient() as http:
        made = await http.post(f"{base}/interrupts", json=body)
        assert made.status_code == 201, made.text
        interrupt_id: str = made.json()["interruptId"]
    return interrupt_id


async def read(base: str, interrupt_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        found: dict[str, Any] = (await http.get(f"{base}/interrupts/{interrupt_id}")).json()
    return found


async def fill_everything(page: Page) -> None:
    await page.get_by_label("Amount to pay").fill("250.75")
    await page.get_by_label("installments").fill("3")
    await page.get_by_label("Account").select_option("savings")
    await page.get_by_label("Pay on").fill("2026-12-24")
    await page.get_by_label("Notify").fill("ap@example.com")
    await page.get_by_label("Receipt link").fill("https://example.com/r/9")
    await page.get_by_label("Memo").fill("December run")
    await page.get_by_label("Note").fill("two\nlines")
    await page.get_by_label("Urgent").check()
    await page.get_by_label("vendor").check()
    await page.get_by_label("refund").check()


EXPECTED = {"amount": 250.75, "installments": 3, "account": "savings", "payOn": "2026-12-24",
            "notify": "ap@example.com", "receipt": "https://example.com/r/9", "memo": "December run",
            "note": "two\nlines", "urgent": True, "tags": ["vendor", "refund"]}  # fmt: skip


@pytest.mark.timeout(60)
async def test_every_input_kind_is_rendered_and_the_answer_is_recorded(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    types = {
        name: await page.locator(f'[name="answer.{name}"]').first.get_attribute("type")
        for name in ("amount", "installments", "payOn", "notify", "receipt", "memo", "urgent", "tags")
    }
    assert types == {"amount": "number", "installments": "number", "payOn": "date", "notify": "email",
                     "receipt": "url", "memo": "text", "urgent": "checkbox", "tags": "checkbox"}  # fmt: skip
    assert await page.locator('select[name="answer.account"]').count() == 1
    assert await page.locator('textarea[name="answer.note"]').count() == 1
    assert await page.get_by_label("installments").input_value() == "1"  # its default
    await expect(page.get_by_text("In euros")).to_be_visible()  # the description is the field's hint
    await fill_everything(page)
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved")
    await expect(page.get_by_role("status")).to_contain_text("250.75")
    await expect(page.get_by_role("status")).to_contain_text("vendor, refund")
    record = await read(base, interrupt_id)
    assert record["response"] == EXPECTED


@pytest.mark.timeout(60)
async def test_the_browser_hints_block_a_missing_required_answer_but_not_a_rejection(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await page.get_by_role("button", name="Approve").click()
    amount = page.get_by_label("Amount to pay")
    assert await amount.evaluate("input => input.validity.valueMissing")
    assert (await read(base, interrupt_id))["status"] == "pending"  # nothing was sent
    await page.get_by_role("button", name="Reject").click()  # formnovalidate: a rejection needs no answer
    await expect(page.get_by_role("status")).to_contain_text("Rejected")
    record = await read(base, interrupt_id)
    assert record["status"] == "rejected" and "response" not in record


@pytest.mark.timeout(60)
async def test_without_javascript_the_servers_errors_show_next_to_their_fields(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await fill_everything(page)
    await page.get_by_label("Amount to pay").fill("0")  # the browser cannot express exclusiveMinimum
    await page.get_by_label("Notify").fill("ap@localhost")  # the browser takes it; the service's address rule not
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("alert")).to_contain_text("Some answers need another look")
    amount_error = page.locator('[data-field="amount"] .error')
    await expect(amount_error).to_contain_text("less than or equal to the minimum of 0")
    assert await page.get_by_label("Amount to pay").get_attribute("aria-invalid") == "true"
    await expect(page.locator('[data-field="notify"] .error')).to_contain_text('is not a "email"')
    await expect(page.locator('[data-field="memo"] .error')).to_have_count(0)
    assert await page.get_by_label("Memo").input_value() == "December run"  # what was typed is kept
    assert await page.get_by_label("vendor").is_checked()
    assert (await read(base, interrupt_id))["status"] == "pending"
    await page.get_by_label("Amount to pay").fill("250.75")
    await page.get_by_label("Notify").fill("ap@example.com")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved")
    assert (await read(base, interrupt_id))["response"] == EXPECTED
    await context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.timeout(60)
async def test_the_answer_is_given_from_the_inbox(
    browser: Browser, two_apis: list[ServeProcess], javascript: bool
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    await page.goto(f"{base}/inbox/alice")
    line = page.locator(f'li[data-id="{interrupt_id}"]')
    form = line.get_by_role("form", name="Answer: Pay invoice INV-9")
    await expect(form).to_be_hidden()  # folded until asked for
    await line.locator("summary").click()
    await expect(form).to_be_visible()
    await form.get_by_label("Amount to pay").fill("250.75")
    await form.get_by_label("Account").select_option("savings")
    await form.get_by_label("Memo").fill("from the inbox")
    await form.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved")  # the review page, showing the outcome
    await expect(page.get_by_role("status")).to_contain_text("by alice")
    record = await read(base, interrupt_id)
    assert record["response"] == {"amount": 250.75, "account": "savings", "memo": "from the inbox", "installments": 1,
                                  "urgent": False, "tags": []}  # fmt: skip
    assert record["decidedBy"] == "alice"
    await context.close()


@pytest.mark.timeout(60)
async def test_an_open_answer_form_survives_the_inbox_list_being_sent_again(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    release = asyncio.Event()

    async def held_with_a_stale_digest(route: Route) -> None:
        await release.wait()  # the feed connects only once the reviewer is typing
        await route.continue_(url=re.sub(r"since=[^&]*", "since=stale", route.request.url))

    await page.route(re.compile(r"/inbox-events/"), held_with_a_stale_digest)
    await page.goto(f"{base}/inbox/alice")
    line = page.locator(f'li[data-id="{interrupt_id}"]')
    await line.locator("summary").click()
    await line.get_by_label("Memo").fill("half typed")
    release.set()  # the feed's first event is then the whole list (its digest does not match)
    await expect(page).to_have_title(re.compile(r"^\(\d+\) "))  # the feed's first event (the list) is applied
    await expect(line.get_by_label("Memo")).to_have_value("half typed")
    await expect(line.locator("details")).to_have_attribute("open", "")

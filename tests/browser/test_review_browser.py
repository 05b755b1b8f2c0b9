"""The reviewer's pages in headless Chromium: decide with and without JavaScript, edits, live updates, expiry."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.processes import ServeProcess
from tests.web.test_review_page import XSS

BODY = {"agentId": "payer-bot", "userId": "alice", "action": "Pay invoice INV-7", "context": {"amount": 120}}


async def create(base: str, **extra: object) -> str:
    async with httpx.AsyncClient() as http:
        interrupt_id: str = (await http.post(f"{base}/interrupts", json=BODY | extra)).json()["interruptId"]
    return interrupt_id


async def create_loop(base: str, name: str, participant: str) -> dict[str, Any]:
    """A loop asking one participant (10 min to answer); its `loop_data`."""
    body = {"loop_name": name, "loop_description": "release", "participants": [participant],
            "participant_timeout": 600_000}  # fmt: skip
    async with httpx.AsyncClient() as http:
        loop: dict[str, Any] = (await http.post(f"{base}/v1/loop/create", json=body)).json()["data"]["loop_data"]
    return loop


async def read(base: str, interrupt_id: str) -> dict[str, object]:
    async with httpx.AsyncClient() as http:
        found: dict[str, object] = (await http.get(f"{base}/interrupts/{interrupt_id}")).json()
    return found


@pytest.mark.timeout(60)
async def test_approve_with_a_reason_without_reloading(browser: Browser, two_apis: list[ServeProcess]) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await expect(page.get_by_role("heading", name="Pay invoice INV-7")).to_be_visible()
    await expect(page.locator(".countdown")).to_contain_text("expires in")
    await page.get_by_label("Reason (optional)").fill("Within budget")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved")
    await expect(page.get_by_role("status")).to_contain_text("Within budget")
    assert page.url == f"{base}/review/{interrupt_id}"
    record = await read(base, interrupt_id)
    assert (record["status"], record["reason"]) == ("approved", "Within budget")


@pytest.mark.timeout(60)
async def test_reject_with_javascript_off(browser: Browser, two_apis: list[ServeProcess]) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.get_by_role("status")).to_contain_text("Rejected")
    assert (await read(base, interrupt_id))["status"] == "rejected"
    await context.close()


@pytest.mark.timeout(60)
async def test_approve_with_edited_parameters_and_refuse_bad_json(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await page.get_by_text("Approve with changes").click()
    editor = page.get_by_label("Parameters to approve", exact=False)
    await editor.fill('{"amount": 100')
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("alert")).to_contain_text("not valid JSON")
    assert (await read(base, interrupt_id))["status"] == "pending"
    await page.get_by_label("Parameters to approve", exact=False).fill('{"amount": 100}')
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("Approved")
    assert (await read(base, interrupt_id))["modifiedParams"] == {"amount": 100}


@pytest.mark.timeout(60)
async def test_page_flips_live_when_decided_elsewhere(browser: Browser, two_apis: list[ServeProcess]) -> None:
    base, other = two_apis[0].url, two_apis[1].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await expect(page.get_by_role("button", name="Approve")).to_be_visible()
    async with httpx.AsyncClient() as http:  # decided through the API of another process
        await http.post(f"{other}/interrupts/{interrupt_id}/decide", json={"decision": "rejected", "reason": "no"})
    await expect(page.get_by_role("status")).to_contain_text("Rejected")
    await expect(page.get_by_role("button", name="Approve")).to_have_count(0)


@pytest.mark.timeout(60)
async def test_countdown_reaches_zero_and_the_page_shows_expired(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base, expiresIn=2)
    page = await browser.new_page()
    await page.goto(f"{base}/review/{interrupt_id}")
    await expect(page.get_by_role("status")).to_contain_text("Expired", timeout=15_000)
    await expect(page.get_by_role("button", name="Approve")).to_have_count(0)


@pytest.mark.timeout(60)
async def test_loop_link_shows_a_confirm_page_and_only_the_button_decides(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    loop = await create_loop(base, "Ship 2.0", "a@x.io")
    link = loop["participants"][0]["accept_link"].replace("http://localhost:3002", base)
    link = link.replace(f"http://localhost:{two_apis[0].port}", base)
    page = await browser.new_page()
    await page.goto(link)
    await expect(page.get_by_role("button", name="Confirm: accept")).to_be_visible()
    async with httpx.AsyncClient() as http:
        status = (await http.get(f"{base}/v1/loop/status/{loop['loop_id']}")).json()["data"]["status"]
    assert status == "PENDING"  # opening the link decided nothing
    await page.get_by_role("button", name="Confirm: accept").click()
    await expect(page.locator("body")).to_contain_text("The loop is now ACCEPTED")


@pytest.mark.timeout(60)
async def test_hostile_strings_create_no_element_attribute_or_dialog(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    ids = [await create(base, action=p, agentId=p, userId=p, context={"p": p}) for p in XSS[:10]]
    ids.append(await create(base, action=" ".join(XSS), context={f"p{i}": p for i, p in enumerate(XSS)}))
    page = await browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    for interrupt_id in ids:
        await page.goto(f"{base}/review/{interrupt_id}")
        await expect(page.get_by_role("button", name="Approve")).to_be_visible()
        found = await page.evaluate(
            """() => ({
                scripts: [...document.scripts].map(s => s.getAttribute("src")),
                handlers: [...document.querySelectorAll("*")].flatMap(e => [...e.attributes]
                    .filter(a => a.name.startsWith("on")).map(a => e.tagName + " " + a.name)),
                injected: [...document.querySelectorAll("iframe,object,embed,img,svg,video,audio,base,meta[http-equiv],"
                    + "link:not([href='/static/pages.css']),marquee,select,input:not([type=hidden]),x")].length,
            })"""
        )
        assert found == {"scripts": ["/static/times.js", "/static/review.js"], "handlers": [], "injected": 0}, (
            interrupt_id
        )
    assert dialogs == []


@pytest.mark.timeout(60)
async def test_a_page_view_loads_under_50_kib_from_its_own_origin(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    page = await browser.new_page()
    loaded: list[tuple[str, int]] = []

    async def record(response: Any) -> None:
        streaming = "/events" in response.url  # the live feed never ends: count it, do not read it
        loaded.append((response.url, 0 if streaming else len(await response.body())))

    page.on("response", record)
    await page.goto(f"{base}/review/{interrupt_id}", wait_until="networkidle")
    await expect(page.locator(".countdown")).to_contain_text("expires in")  # the scripts ran
    documents = [(url, size) for url, size in loaded if "/events" not in url]  # the live feed is a stream
    assert {url.removeprefix(base) for url, _ in documents} == {
        f"/review/{interrupt_id}",
        "/static/pages.css",
        "/static/times.js",
        "/static/review.js",
    }
    assert all(url.startswith(base) for url, _ in loaded)  # no third-party request
    assert sum(size for _, size in documents) <= 50 * 1024


def _tokyo_text(iso: str) -> str:
    """How Chromium's en-US `toLocaleString()` writes `iso` in Tokyo (UTC+9, no daylight saving)."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Tokyo"))
    hour = when.hour % 12 or 12
    return f"{when.month}/{when.day}/{when.year}, {hour}:{when.minute:02d}:{when.second:02d} {when:%p}"


@pytest.mark.timeout(60)
async def test_review_and_confirm_pages_show_times_in_the_viewers_time_zone(
    browser: Browser, two_apis: list[ServeProcess]
) -> None:
    base = two_apis[0].url
    interrupt_id = await create(base)
    loop = await create_loop(base, "Ship 2.1", "b@x.io")
    confirm = f"{base}/v1/loop/participant/resolve/{loop['participants'][0]['promise_id']}?accept=true"
    context = await browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    try:
        page = await context.new_page()
        for url in (f"{base}/review/{interrupt_id}", confirm):
            await page.goto(url)
            first = page.locator("time[datetime]").first
            iso = await first.get_attribute("datetime")
            assert iso
            await expect(first).not_to_contain_text("UTC")  # the script replaced the server's UTC text
            shown = (await first.inner_text()).replace("\u202f", " ")  # ICU puts a narrow space before AM/PM
            assert shown == _tokyo_text(iso), (url, shown)
    finally:
        await context.close()

"""/docs in headless Chromium: Swagger UI renders every operation from installed assets, under a strict CSP."""

import pytest
from playwright.async_api import Browser, Response, expect

from tests.processes import ServeProcess


@pytest.mark.timeout(60)
async def test_docs_render_offline_from_the_servers_own_origin(browser: Browser, two_apis: list[ServeProcess]) -> None:
    base = two_apis[0].url
    page = await browser.new_page()
    requested: list[str] = []
    failed: list[str] = []
    refused: list[str] = []
    complaints: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))

    def answered(response: Response) -> None:
        if response.status >= 400:
            refused.append(f"{response.status} {response.url}")

    page.on("response", answered)
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    await page.goto(f"{base}/docs", wait_until="networkidle")
    await expect(page.locator(".opblock").first).to_be_visible()  # the document was read and rendered
    assert await page.locator(".opblock").count() >= 20  # every operation has its block
    await expect(page.get_by_text("/interrupts/{interrupt_id}/decide").first).to_be_visible()
    assert all(url.startswith(base) for url in requested), [u for u in requested if not u.startswith(base)]
    assert f"{base}/openapi.json" in requested
    assert not failed and not refused and not complaints  # nothing refused by the CSP, nothing missing

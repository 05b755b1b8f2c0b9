"""Screenshots of the pages for docs/screenshots/: `uv run python -m tests.screenshots` (needs chromium on PATH).

Starts `interlock serve` on an embedded Valkey, creates pending and decided interrupts and a
loop, and captures each page (review, loop confirm, inbox) on a desktop (1280 px) and a phone (390 px), light and dark.
"""

import asyncio
import shutil
import tempfile
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from service.embedded import free_port
from tests.bench.core import start_server, wait_http

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CONTEXT = {"vendor": "Acme Supplies", "amount": 4200, "currency": "USD", "invoiceId": "INV-2024-0892",
           "lines": [{"sku": "A-1", "qty": 3}, {"sku": "B-7", "qty": 1}]}  # fmt: skip


async def pages(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as http:
        body = {"agentId": "payments-agent", "userId": "alice@example.com", "action": "Pay invoice INV-2024-0892",
                "context": CONTEXT, "urgency": "high", "expiresIn": 7200}  # fmt: skip
        pending = (await http.post("/interrupts", json=body)).json()["interruptId"]
        decided = (await http.post("/interrupts", json=body | {"urgency": "medium"})).json()["interruptId"]
        await http.post(f"/interrupts/{decided}/decide", json={"decision": "approved", "reason": "Matches the PO"})
        for action, urgency in (
            ("Delete 412 stale customer records", "medium"),
            ("Rotate the production API keys", "low"),
        ):
            await http.post("/interrupts", json=body | {"action": action, "urgency": urgency, "agentId": "ops-agent"})
        form = {
            "type": "object",
            "required": ["account", "payOn"],
            "properties": {
                "account": {"type": "string", "enum": ["Operating", "Payroll"], "title": "Pay from"},
                "payOn": {"type": "string", "format": "date", "title": "Pay on", "description": "Before the due date"},
                "split": {"type": "integer", "minimum": 1, "maximum": 4, "default": 1, "title": "Installments"},
                "notify": {"type": "boolean", "title": "Email the vendor a remittance", "default": True},
            },
        }
        answer = (await http.post("/interrupts", json=body | {"responseSchema": form})).json()["interruptId"]
        answered = (await http.post("/interrupts", json=body | {"responseSchema": form})).json()["interruptId"]
        await http.post(
            f"/interrupts/{answered}/decide",
            json={
                "decision": "approved",
                "response": {"account": "Payroll", "payOn": "2026-12-18", "split": 2, "notify": True},
            },
        )
        loop_body = {"loop_name": "Ship release 2.0", "loop_description": "All checks are green; ship to production?",
                     "participants": ["lead@example.com"], "participant_timeout": 3_600_000}  # fmt: skip
        loop = (await http.post("/v1/loop/create", json=loop_body)).json()["data"]["loop_data"]
    link = loop["participants"][0]["accept_link"].split("/v1/", 1)[1]
    return {
        "review-pending": f"/review/{pending}",
        "review-approved": f"/review/{decided}",
        "review-answer": f"/review/{answer}",
        "review-answered": f"/review/{answered}",
        "loop-confirm": f"/v1/{link}",
        "inbox": "/inbox/alice@example.com",
        "inbox-answer": "/inbox/alice@example.com",  # with its first answer form unfolded
    }


async def shoot(base: str, chromium: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    targets = await pages(base)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for device, width in (("desktop", 1280), ("phone", 390)):
            for scheme in ("light", "dark"):
                context = await browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                page = await context.new_page()
                for name, path in targets.items():
                    await page.goto(base + path)
                    if name == "inbox-answer":
                        await page.locator("details.answer-inline summary").first.click()
                    await page.screenshot(path=OUT / f"{name}-{device}-{scheme}.png", full_page=True)
                await context.close()
        await browser.close()


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not on PATH (apt-get install chromium)")
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="interlock-shots-"))
    server = start_server(["-m", "service", "serve", "--port", str(port), "--no-worker"],
                          {"INTERLOCK_DATA_DIR": str(tmp / "data")}, tmp / "serve.log")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/health")
        asyncio.run(shoot(base, chromium))
    finally:
        server.terminate()
        server.wait(30)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()

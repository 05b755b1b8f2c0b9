"""The pure webhook rules: what each status means, the retry schedule, Retry-After, and rotation-ready signatures."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks.webhooks import Webhook

from worker import webhooks

OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"


@pytest.mark.parametrize(
    ("status", "meaning"),
    [(200, "delivered"), (204, "delivered"), (299, "delivered"), (408, "retry"), (429, "retry"), (500, "retry"),
     (503, "retry"), (599, "retry"), (410, "failed"), (400, "failed"), (401, "failed"), (404, "failed"),
     (301, "failed"), (302, "failed"), (100, "failed")],
)  # fmt: skip
def test_each_status_has_one_meaning(status: int, meaning: str) -> None:
    assert webhooks.verdict(status) == meaning


def test_schedule_runs_eight_attempts_with_ten_percent_jitter() -> None:
    rng = random.Random(7)
    for attempt, nominal in enumerate([5, 300, 1800, 7200, 18000, 36000, 36000], start=1):
        for _ in range(50):
            delay = webhooks.retry_delay_s(attempt, rng)
            assert delay is not None
            assert nominal * 0.9 <= delay <= nominal * 1.1
    assert webhooks.retry_delay_s(8, rng) is None


def test_retry_after_lengthens_but_never_shortens_the_wait() -> None:
    rng = random.Random(1)
    assert webhooks.retry_delay_s(1, rng, retry_after_s=120) == 120
    longer = webhooks.retry_delay_s(2, rng, retry_after_s=1)
    assert longer is not None
    assert longer >= 270
    assert webhooks.retry_delay_s(1, rng, retry_after_s=10**9) == webhooks.MAX_RETRY_AFTER_S


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert webhooks.parse_retry_after("30", now.timestamp()) == 30
    when = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert webhooks.parse_retry_after(when, now.timestamp()) == pytest.approx(90)
    assert webhooks.parse_retry_after("soon", now.timestamp()) is None
    assert webhooks.parse_retry_after(None, now.timestamp()) is None


def test_signature_with_two_secrets_verifies_with_either() -> None:
    body, msg_id, ts = b'{"interruptId":"x","status":"expired"}', "msg_x_2", int(datetime.now(UTC).timestamp())
    header = webhooks.signature(webhooks.secrets_from(f"{NEW} {OLD}"), msg_id, ts, body)
    assert header.count("v1,") == 2
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": header}
    for secret in (OLD, NEW):
        assert Webhook(secret).verify(body, headers) == {"interruptId": "x", "status": "expired"}


def test_secrets_split_on_spaces_and_commas() -> None:
    assert webhooks.secrets_from(f" {OLD},{NEW} ") == [OLD, NEW]

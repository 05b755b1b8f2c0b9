"""One mail attempt against a real SMTP sink: what passes is retried, what will not is failed at once."""

from collections.abc import Callable
from email.message import EmailMessage

import pytest

from tests.mailsink import running
from worker import mail
from worker.mailing import attempt_send
from worker.main import MAX_TRIES
from worker.tasks import later

SENDER = "interlock@example.com"


def message(to: str) -> EmailMessage:
    """A small mail to `to`."""
    out = EmailMessage()
    out["Subject"], out["From"], out["To"] = "Your decision is needed", SENDER, to
    out.set_content("Approve or reject.")
    return out


class Outcome:
    """What an attempt recorded and scheduled."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, int]] = []
        self.retries: list[tuple[int, float]] = []

    async def mark(self, state: str, attempts: int) -> str:
        self.marks.append((state, attempts))
        return state

    async def retry(self, attempt: int, delay: float) -> None:
        self.retries.append((attempt, delay))


async def attempt(to: str, port: int, outcome: Outcome, build: Callable[[], EmailMessage] | None = None) -> str:
    """Attempt 1 of a mail to `to` through the sink on `port`."""
    smtp = mail.smtp_options(f"smtp://127.0.0.1:{port}")
    return await attempt_send(build or (lambda: message(to)), to, sender=SENDER, smtp=smtp, attempt=1,
                              mark=outcome.mark, retry=outcome.retry)  # fmt: skip


@pytest.mark.timeout(30)
async def test_a_temporary_refusal_is_retried_on_the_schedule() -> None:
    with running() as sink:
        sink.refusals["busy@example.com"] = 1
        outcome = Outcome()
        assert await attempt("busy@example.com", sink.port, outcome) == "retrying"
    assert outcome.marks == [("retrying", 1)] and outcome.retries == [(2, mail.SCHEDULE_S[0])]


@pytest.mark.timeout(30)
async def test_an_unknown_address_is_failed_at_once() -> None:
    with running() as sink:
        sink.unknown.add("nobody@example.com")
        outcome = Outcome()
        assert await attempt("nobody@example.com", sink.port, outcome) == "failed"
    assert outcome.marks == [("failed", 1)] and outcome.retries == []  # a 550 never passes


@pytest.mark.timeout(30)
async def test_a_mail_that_cannot_be_made_is_failed_at_once_not_raised() -> None:
    def broken() -> EmailMessage:
        return message("x@example.com\r\nBcc: attacker@example.com")  # the header machinery refuses it

    with running() as sink:
        outcome = Outcome()
        assert await attempt("x@example.com", sink.port, outcome, broken) == "failed"
        assert sink.received == {}
    assert outcome.marks == [("failed", 1)] and outcome.retries == []


def test_jobs_wait_longer_each_time_redis_is_down_and_give_up_after_about_45_minutes() -> None:
    delays = [later({"job_try": n}).defer_score or 0 for n in range(1, MAX_TRIES + 1)]
    assert delays[:3] == [1000, 2000, 4000] and max(delays) == 60_000  # ms
    assert 40 * 60_000 <= sum(delays) <= 50 * 60_000

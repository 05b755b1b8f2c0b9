"""The client against a real `interlock serve`: ask, wait, decorator, loops, typed errors, sync and async."""

import asyncio
import subprocess
import sys

import httpx
import pytest

from interlock_client import (
    AsyncInterlock,
    BadRequest,
    Cancelled,
    Conflict,
    Expired,
    Interlock,
    InterlockError,
    Loop,
    NotFound,
    Rejected,
    Unauthorized,
    Unavailable,
    WaitTimeout,
    require_approval,
)
from service.embedded import free_port
from tests.client.conftest import Background, Reviewer, agent_args
from tests.conftest import AGENT_KEY
from tests.processes import ROOT, ServeProcess

pytestmark = pytest.mark.timeout(60)


def test_ask_returns_the_decision_made_through_the_api(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    with Interlock(**agent_args(api)) as il:
        asked = Background(lambda: il.ask("Pay invoice INV-7", context={"eur": 120}, user_id=user, agent_id="billing"))
        reviewer.decide(reviewer.first_pending(user), "approved", reason="budgeted")
        decision = asked.outcome()
    assert decision.approved and decision.status == "approved" and decision.decision == "approved"
    assert decision.reason == "budgeted" and decision.decided_by == "alice"  # the reviewer key's label
    assert decision.review_url == f"{api.url}/review/{decision.id}" and decision.decided_at is not None


def test_ask_with_a_response_schema_returns_the_typed_answer(api: ServeProcess, reviewer: Reviewer,
                                                             user: str) -> None:  # fmt: skip
    schema = {"type": "object", "properties": {"account": {"type": "string", "enum": ["ops", "payroll"]}},
              "required": ["account"]}  # fmt: skip
    with Interlock(**agent_args(api)) as il:
        asked = Background(lambda: il.ask("Pay invoice INV-8", context={}, user_id=user, agent_id="billing",
                                          response_schema=schema))  # fmt: skip
        pending = reviewer.first_pending(user)
        assert il.get(pending).response_schema == schema
        reviewer.decide(pending, "approved", response={"account": "payroll"})
        decision = asked.outcome()
    assert decision.approved and decision.response == {"account": "payroll"}


def test_create_then_wait_from_another_process(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    with Interlock(**agent_args(api)) as il:
        pending = il.create("Delete 3 records", context={"table": "users"}, user_id=user, agent_id="ops")
        assert il.get(pending.id).pending
    script = (f"from interlock_client import Interlock\nwith Interlock({api.url!r}, {AGENT_KEY!r}) as il:\n"
              f"    d = il.wait({pending.id!r}, timeout=30)\n    print(d.status, d.decided_by)")  # fmt: skip
    other = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        reviewer.decide(pending.id, "rejected", reason="not today")
        out, _ = other.communicate(timeout=30)
    finally:
        other.kill()
    assert out.split() == ["rejected", "alice"]


def test_the_decorator_runs_with_the_reviewers_edits(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    ran: list[tuple[str, float, str]] = []

    with Interlock(**agent_args(api)) as il:

        @require_approval(user_id=user, agent_id="billing", client=il)
        def pay(invoice: str, amount: float, currency: str = "EUR") -> str:
            ran.append((invoice, amount, currency))
            return f"paid {invoice}"

        called = Background(lambda: pay("INV-9", 120.0))
        interrupt_id = reviewer.first_pending(user)
        asked = il.get(interrupt_id)
        assert asked.action == "pay(invoice='INV-9', amount=120.0, currency='EUR')"
        assert asked.context == {"invoice": "INV-9", "amount": 120.0, "currency": "EUR"}
        edited = {"invoice": "INV-9", "amount": 100, "currency": "EUR"}
        reviewer.decide(interrupt_id, "approved", modifiedParams=edited)
        assert called.outcome() == "paid INV-9"
    assert ran == [("INV-9", 100, "EUR")]


def test_a_rejection_raises_and_the_function_does_not_run(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    ran: list[str] = []

    @require_approval(user_id=user, agent_id="ops", action="Drop table users", client=Interlock(**agent_args(api)))
    def drop(table: str) -> None:
        ran.append(table)

    called = Background(lambda: drop("users"))
    reviewer.decide(reviewer.first_pending(user), "rejected", reason="production")
    with pytest.raises(Rejected) as rejected:
        called.outcome()
    assert rejected.value.reason == "production" and rejected.value.decided_by == "alice" and ran == []
    assert "rejected by alice: production" in str(rejected.value)


def test_an_expiry_raises_expired(api: ServeProcess, user: str) -> None:
    @require_approval(user_id=user, agent_id="ops", expires_in=0.3, client=Interlock(**agent_args(api)))
    def restart() -> None:
        raise AssertionError("must not run")

    with pytest.raises(Expired) as expired:
        restart()
    assert expired.value.decision.status == "expired" and expired.value.decision.decided_by is None


def test_on_timeout_decides_at_the_deadline_when_nobody_does(api: ServeProcess, user: str) -> None:
    ran: list[int] = []

    @require_approval(user_id=user, agent_id="ops", expires_in=0.3, on_timeout="approved",
                      client=Interlock(**agent_args(api)))  # fmt: skip
    def scale(replicas: int) -> None:
        ran.append(replicas)

    scale(3)
    assert ran == [3]
    with Interlock(**agent_args(api)) as il:
        decision = il.ask("Keep the old cache", context={}, user_id=user, agent_id="ops", expires_in=0.3,
                          on_timeout="rejected")  # fmt: skip
    assert (decision.status, decision.decided_by, decision.reason) == (
        "rejected",
        "timeout",
        "no decision before the deadline",
    )


def test_a_cancel_raises_cancelled(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    il = Interlock(**agent_args(api))

    @require_approval(user_id=user, agent_id="ops", client=il)
    def ship() -> None:
        raise AssertionError("must not run")

    called = Background(ship)
    il.cancel(reviewer.first_pending(user))
    with pytest.raises(Cancelled):
        called.outcome()
    il.close()


async def test_async_ask_and_decorator(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    async with AsyncInterlock(**agent_args(api)) as il:

        @require_approval(user_id=user, agent_id="async-bot", client=il)
        async def refund(order: str, cents: int) -> tuple[str, int]:
            return order, cents

        task = asyncio.create_task(refund("A-1", 5000))
        interrupt_id = await asyncio.to_thread(reviewer.first_pending, user)
        edited = {"order": "A-1", "cents": 4000}
        await asyncio.to_thread(reviewer.decide, interrupt_id, "approved", modifiedParams=edited)
        assert await asyncio.wait_for(task, 30) == ("A-1", 4000)
        pending = await il.create("Ask again", context={}, user_id=user, agent_id="async-bot")
        await il.cancel(pending.id)
        assert (await il.wait(pending.id, timeout=10)).status == "cancelled"
        with pytest.raises(WaitTimeout):
            await il.wait((await il.create("Nobody", context={}, user_id=user, agent_id="a")).id, timeout=0.3)


def test_a_long_poll_client_waits_the_same(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    with Interlock(**agent_args(api), stream=False) as il:
        pending = il.create("Rotate keys", context={}, user_id=user, agent_id="sec")
        waited = Background(lambda: il.wait(pending.id))
        reviewer.decide(pending.id, "approved")
        assert waited.outcome().approved
        with pytest.raises(WaitTimeout):
            il.wait(il.create("Nobody", context={}, user_id=user, agent_id="sec").id, timeout=0.3)


def test_api_refusals_are_typed_errors_with_their_problem(api: ServeProcess, user: str) -> None:
    with Interlock(**agent_args(api)) as il:
        with pytest.raises(NotFound) as missing:
            il.get("00000000-0000-4000-8000-000000000000")
        assert missing.value.status == 404 and missing.value.problem["error"] == "Interrupt not found"
        with pytest.raises(BadRequest) as bad:
            il.create("x", context={}, user_id=user, agent_id="a", urgency="urgent")
        assert bad.value.field == "urgency" and "low, medium, or high" in bad.value.detail
        pending = il.create("x", context={}, user_id=user, agent_id="a")
        il.cancel(pending.id)
        with pytest.raises(Conflict):
            il.cancel(pending.id)  # a second, separate cancel is told (a retried one is not)
    with Interlock(api.url, "wrong-key") as stranger, pytest.raises(Unauthorized):
        stranger.get(pending.id)


def test_an_unreachable_api_is_unavailable_once_the_budget_is_spent() -> None:
    with Interlock(f"http://127.0.0.1:{free_port()}", "k", retry_for=0.3) as il, pytest.raises(Unavailable):
        il.get("00000000-0000-4000-8000-000000000000")


def test_ask_loop_returns_the_outcome(api: ServeProcess) -> None:
    links: list[Loop] = []

    def hand_out(loop: Loop) -> None:  # the participants click their links (as JSON clients)
        links.append(loop)
        for person in loop.participants:
            assert httpx.post(person.accept_link, headers={"Accept": "application/json"}).status_code == 200

    with Interlock(**agent_args(api)) as il:
        outcome = il.ask_loop("Ship 2.0", "Release?", participants=["a@example.com", "b@example.com"],
                              participant_timeout=60, on_created=hand_out)  # fmt: skip
        assert outcome.accepted and outcome.status == "ACCEPTED" and outcome.loop_id == links[0].loop_id
        assert [(r.email, r.accept) for r in outcome.results] == [("a@example.com", True), ("b@example.com", True)]
        quorum = il.create_loop("Vote", "", participants=["c@example.com", "d@example.com"], policy="quorum",
                                quorum=1, participant_timeout=60)  # fmt: skip
        assert httpx.post(quorum.participants[1].reject_link, headers={"Accept": "application/json"}).status_code == 200
        with pytest.raises(WaitTimeout):
            il.wait_loop(quorum.loop_id, timeout=0.3)
        with pytest.raises(ValueError, match="quorum"):
            il.create_loop("Vote", "", participants=["c@example.com"], policy="quorum", participant_timeout=60)


def test_an_edit_the_function_cannot_take_is_refused(api: ServeProcess, reviewer: Reviewer, user: str) -> None:
    @require_approval(user_id=user, agent_id="ops", client=Interlock(**agent_args(api)))
    def scale(replicas: int) -> int:
        return replicas

    called = Background(lambda: scale(3))
    reviewer.decide(reviewer.first_pending(user), "approved", modifiedParams={"replicas": 3, "region": "eu"})
    with pytest.raises(InterlockError, match="'region'"):
        called.outcome()

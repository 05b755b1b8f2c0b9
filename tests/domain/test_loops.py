"""The loop rules in plain Python: quorum per policy, the earliest certain outcome, the sentence for it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain import loops


@pytest.mark.parametrize(("policy", "n", "k"), [("all", 5, 5), ("any", 5, 1), ("quorum:3", 5, 3)])
def test_each_policy_is_a_quorum(policy: str, n: int, k: int) -> None:
    assert loops.quorum(policy, n) == k


@given(
    st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n), st.lists(st.booleans(), max_size=n)))
)
def test_the_outcome_is_declared_exactly_when_it_is_certain(case: tuple[int, int, list[bool]]) -> None:
    n, k, votes = case
    accepts, refusals = sum(votes), len(votes) - sum(votes)
    found = loops.outcome(k, n, accepts, refusals)
    still_open = n - len(votes)
    if accepts >= k:
        assert found == loops.ACCEPTED
    elif accepts + still_open < k:
        assert found == loops.REJECTED  # k can no longer be reached
    else:
        assert found == loops.PENDING  # either outcome is still possible


def test_a_decided_loop_says_what_decided_it() -> None:
    assert loops.message("all", 3, loops.ACCEPTED, "") == "all participants accepted"
    assert loops.message("all", 3, loops.REJECTED, "timedout") == "participant timed out"
    assert loops.message("any", 1, loops.REJECTED, "rejected") == "no participant accepted"
    assert loops.message("quorum:2", 2, loops.ACCEPTED, "") == "quorum of 2 accepts reached"


def test_statuses_are_their_wire_text() -> None:
    assert loops.TIMED_OUT == "REJECTED_TIMEDOUT" and f"{loops.ACCEPTED}" == "ACCEPTED"
    links = loops.links("https://h", "p-1")
    assert links == ("https://h/v1/loop/participant/resolve/p-1?accept=true",
                     "https://h/v1/loop/participant/resolve/p-1?accept=false")  # fmt: skip


def test_a_loop_past_its_deadline_reads_as_its_next_version() -> None:
    waiting = loops.Participant(email="a@example.com", promise_id="p-1", state=loops.PENDING, accept=None)
    loop = loops.Loop(id="l-1", name="n", description="", timeout_ms=1000, policy="all", status=loops.PENDING,
                      message=None, created_at=0, deadline=1000, version=1, participants=(waiting,))  # fmt: skip
    assert loop.version_seen_at(999) == 1  # still open
    assert loop.version_seen_at(1000) == 2  # timed out for a reader, before the worker records it
    recorded = loop.at(1000)
    assert recorded.status == loops.REJECTED and recorded.version_seen_at(5000) == 1  # decided: as stored

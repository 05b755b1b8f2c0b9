"""Signed review links: one reviewer, one interrupt, one channel, until they expire; nothing of them can change."""

import asyncio
from urllib.parse import parse_qs

import pytest

from service.domain.links import ReviewLinks
from service.domain.models import Actor
from service.domain.tokens import Signer

NOW = 1_000_000


async def _secret() -> str:
    return "page-secret"


def links() -> ReviewLinks:
    """Links minted with a fixed page secret."""
    return ReviewLinks(Signer(_secret), "https://interlock.example")


def minted(reviewer: str = "ann@example.com", via: str = "email", expires: int = NOW + 60_000) -> dict[str, str]:
    """The query of a freshly minted link of interrupt i-1."""
    query = asyncio.run(links().query("i-1", reviewer, expires, via))
    return {k: v[0] for k, v in parse_qs(query).items()}


def check(interrupt_id: str, reviewer: str | None, token: str | None) -> tuple[Actor | None, str | None]:
    """What the link check says at NOW."""
    return asyncio.run(links().check(interrupt_id, reviewer, token, NOW))


def test_a_minted_link_lets_its_reviewer_decide_through_its_channel() -> None:
    query = minted()
    assert check("i-1", query["reviewer"], query["token"]) == (Actor(by="ann@example.com", via="email"), None)


def test_the_whole_url_carries_the_same_query() -> None:
    url = asyncio.run(links().url("i-1", "ann", NOW + 1, "inbox"))
    assert url.startswith("https://interlock.example/review/i-1?reviewer=ann&token=")


def test_no_link_at_all_is_neither_an_actor_nor_a_problem() -> None:
    assert check("i-1", None, None) == (None, None)


@pytest.mark.parametrize(
    ("interrupt_id", "reviewer", "token_of", "problem"),
    [
        ("i-2", "ann@example.com", lambda t: t, "not valid"),  # another interrupt
        ("i-1", "eve@example.com", lambda t: t, "not valid"),  # another reviewer
        ("i-1", "ann@example.com", lambda t: t.replace(".email.", ".inbox."), "not valid"),  # another channel
        ("i-1", "ann@example.com", lambda t: "9" + t, "not valid"),  # a later expiry
        ("i-1", "ann@example.com", lambda t: t.replace(".email.", ".fax."), "not valid"),  # no such channel
        ("i-1", "ann@example.com", lambda t: "²" + t[1:], "not valid"),
        ("i-1", "ann@example.com", lambda t: None, "incomplete"),
        ("i-1", None, lambda t: t, "incomplete"),
        ("i-1", "a" * 255, lambda t: t, "incomplete"),
    ],
)
def test_a_changed_link_is_refused(interrupt_id: str, reviewer: str | None, token_of: object, problem: str) -> None:
    token = token_of(minted()["token"])  # type: ignore[operator]
    actor, why = check(interrupt_id, reviewer, token)
    assert actor is None and why is not None and problem in why


def test_an_expired_link_says_so() -> None:
    query = minted(expires=NOW)
    actor, why = check("i-1", query["reviewer"], query["token"])
    assert actor is None and why is not None and "expired" in why

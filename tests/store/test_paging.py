"""Paging cursors: one round-trips, one not ours is refused by name, a page splits at its limit."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.errors import InvalidField
from service.store.ids import new_id
from service.store.paging import FIRST, decode_cursor, encode_cursor, split


@given(st.integers(0, 10**15), st.none() | st.integers(0, 999_999))
def test_a_cursor_carries_its_score_and_id_back(ms: int, fraction: int | None) -> None:
    score = f"{ms}" if fraction is None else f"{ms}.{fraction}"
    subject = new_id()
    assert decode_cursor(encode_cursor(subject, score)) == (score, subject)


def test_no_cursor_is_the_first_page() -> None:
    assert decode_cursor(None) == FIRST and decode_cursor("") == FIRST


@pytest.mark.parametrize("score", ["nan", "inf", "1_000", "-1", "1e3", "12345678901234567"])
def test_a_cursor_with_a_score_redis_never_prints_is_refused(score: str) -> None:
    with pytest.raises(InvalidField) as refused:
        decode_cursor(encode_cursor(new_id(), score))
    assert refused.value.field == "cursor"


@pytest.mark.parametrize("cursor", ["garbage", "²", "!!!!", encode_cursor("not-an-id", "1")])
def test_a_cursor_that_is_not_ours_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidField, match="cursor is not a valid pagination cursor"):
        decode_cursor(cursor)


def test_a_page_has_a_next_cursor_only_when_there_is_more() -> None:
    entries = [(new_id(), str(1000 - n)) for n in range(3)]
    page, cursor = split(entries, 2)
    assert page == entries[:2] and cursor is not None and decode_cursor(cursor) == (entries[1][1], entries[1][0])
    assert split(entries, 3) == (entries, None)
    assert split([], 5) == ([], None)

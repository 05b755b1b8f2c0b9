"""Pages of a time-scored id index, newest first: opaque cursors, and a page told apart from its `more` row."""

import base64
import binascii
import re

from service.domain.errors import InvalidField
from service.store.ids import is_valid_id

_SCORE = re.compile(r"^\d{1,16}(\.\d{1,6})?$")  # a ms score as Redis prints it (never nan, inf or 1_000)
FIRST = ("+inf", "")  # (score, id) before the newest entry: the first page


def encode_cursor(subject_id: str, score: str) -> str:
    """An opaque cursor pointing just after (score, id)."""
    return base64.urlsafe_b64encode(f"{score}|{subject_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, str]:
    """The (score, id) inside a cursor (FIRST for none); InvalidField when it is not one of ours."""
    if not cursor:
        return FIRST
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)).decode()
        score, subject_id = raw.split("|", 1)
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidField("cursor is not a valid pagination cursor", field="cursor") from None
    if not _SCORE.match(score) or not is_valid_id(subject_id):
        raise InvalidField("cursor is not a valid pagination cursor", field="cursor")
    return score, subject_id


def split(entries: list[tuple[str, str]], limit: int) -> tuple[list[tuple[str, str]], str | None]:
    """(the page, the cursor to the next one or None) from up to limit + 1 (id, score) entries."""
    page = entries[:limit]
    return page, encode_cursor(*page[-1]) if len(entries) > limit and page else None

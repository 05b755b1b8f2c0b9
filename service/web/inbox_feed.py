"""What an inbox feed sends: the lines of the list, rendered once per record, and the changes between lists.

After the first list a feed sends which lines went and which came (and where), not the list again.
A line is rendered once per record and shared by every feed; only its link, signed for each
inbox link, is put in per feed (in the href, and as the hidden fields of the answer form a line
asking a typed answer carries). The slots are marked with `<`, which no escaped value can hold.
"""

import asyncio
import hashlib
import html
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar

from markupsafe import Markup

from service import answers
from service.clock import iso_ms, utc_text
from service.domain.models import Interrupt
from service.web import answer_form, pages

K = TypeVar("K")
V = TypeVar("V")
HREF_SLOT = Markup("<@href@>")  # where a line's link goes
LINK_SLOT = Markup("<@link@>")  # where its answer form's hidden fields go (the link's, and the form's CSRF token)
PREPARE_BATCH = 8  # lines rendered per event-loop turn when a new list arrives (~25 µs each)


def item_view(record: Interrupt, href: str) -> dict[str, Any]:
    """What one line of the inbox shows; `href` is the user's own signed review link of the interrupt."""
    schema = record.response_schema
    return {
        "id": record.id,
        "href": href,
        "action": record.action,
        "agent": record.agent_id,
        "urgency": record.urgency,
        "created_iso": iso_ms(record.created_at),
        "created_text": utc_text(record.created_at),
        "expires_iso": iso_ms(record.expires_at),
        "expires_text": utc_text(record.expires_at),
        "asks": len(answers.form(schema)) if schema else 0,
        "form": answer_form.blank(schema, ids=f"{record.id}-") if schema else "",
        "hidden": LINK_SLOT,
    }


def line(record: Interrupt, href: str, hidden: str = "") -> str:
    """One line of the list, linking to `href`, its answer form (if any) carrying the `hidden` inputs."""
    return _template(record).replace(HREF_SLOT, html.escape(href)).replace(LINK_SLOT, hidden)


def hidden_inputs(fields: Mapping[str, str]) -> str:
    """`fields` as a form's hidden inputs."""
    return "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items())


async def prepare(records: list[Interrupt]) -> None:
    """Render the lines of `records` not rendered yet, PREPARE_BATCH per event-loop turn.

    A watcher calls this before it wakes its feeds, so a burst of new interrupts is rendered in
    small steps between other requests instead of in one block inside the first feed to look.
    """
    fresh = [r for r in records if _templates.get(r) is None]
    for start in range(0, len(fresh), PREPARE_BATCH):
        for record in fresh[start : start + PREPARE_BATCH]:
            _template(record)
        await asyncio.sleep(0)


class Kept(Generic[K, V]):
    """A bounded map that forgets its oldest entries: what many feeds would otherwise each make again."""

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._kept: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        """The value made for `key`, if it is still kept."""
        return self._kept.get(key)

    def keep(self, key: K, value: V) -> V:
        """Keep `value` for `key` (forgetting the oldest beyond `size`); returns it."""
        if len(self._kept) >= self._size:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = value
        return value


_templates: Kept[Interrupt, str] = Kept(4096)  # a pending record's line, its link slot still empty


def _template(record: Interrupt) -> str:
    if (kept := _templates.get(record)) is None:
        kept = _templates.keep(record, pages.render("inbox_item.html", it=item_view(record, HREF_SLOT)))
    return kept


LineKey = tuple[str, str, int]  # (interrupt id, inbox user, link expiry): one signed line
# (user, link expiry, ids shown, ids now, event id, retry hint): one encoded event
EventKey = tuple[str, int, tuple[str, ...] | None, tuple[str, ...], int | None, int | None]


class FeedCache:
    """What this process's feeds share: signed lines, and whole events (feeds in one state send the same one)."""

    def __init__(self) -> None:
        self.lines: Kept[LineKey, str] = Kept(8192)
        self.events: Kept[EventKey, bytes] = Kept(512)


@lru_cache(maxsize=512)
def head(count: int, limit: int) -> str:
    """The sentence above the list: how many are waiting, or that nothing is."""
    return pages.render("inbox_count.html", count=count, limit=limit)


def digest(ids: Sequence[str]) -> str:
    """A short fingerprint of a list of ids in order (a page tells its feed what it shows with it)."""
    return hashlib.blake2b("\n".join(ids).encode(), digest_size=8).hexdigest()


def changes(before: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[tuple[str, str | None]]]:
    """What turns list `before` into `after`: the ids to remove, and each id to add with the id it goes before.

    Both lists are in inbox order, in which items keep their relative order, so removing and
    inserting is enough. Additions come last first: each one's neighbour (None: the end) is then
    already in place.
    """
    kept, old = set(after), set(before)
    removed = [i for i in before if i not in kept]
    added: list[tuple[str, str | None]] = []
    following: str | None = None
    for interrupt_id in reversed(after):
        if interrupt_id not in old:
            added.append((interrupt_id, following))
        following = interrupt_id
    return removed, added

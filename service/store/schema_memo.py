"""The responseSchema of the interrupts this process has seen, by id, so most typed decides take one round trip.

An interrupt's schema never changes, so what is remembered is never stale; a decide whose schema is
not remembered is handed it by decide.lua and sent again (two round trips), as correct, only slower.
"""

import sys
from collections import OrderedDict

MAX_REMEMBERED = 4096


class SchemaMemo:
    """A bounded map from interrupt id to its responseSchema text (least recently seen dropped first)."""

    def __init__(self, size: int = MAX_REMEMBERED) -> None:
        self._size = size
        self._by_id: OrderedDict[str, str] = OrderedDict()

    def remember(self, interrupt_id: str, schema: str | None) -> None:
        """Note `interrupt_id`'s schema (nothing to note for an interrupt without one)."""
        if schema is None:
            return
        self._by_id[interrupt_id] = sys.intern(schema)  # interrupts asking the same form share one text
        self._by_id.move_to_end(interrupt_id)
        if len(self._by_id) > self._size:
            self._by_id.popitem(last=False)

    def get(self, interrupt_id: str) -> str | None:
        """The schema remembered for `interrupt_id`, if any."""
        return self._by_id.get(interrupt_id)

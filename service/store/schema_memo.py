"""The responseSchema of the interrupts this process has seen, by id, so most typed decides take one round trip.

An interrupt's schema never changes, so what is remembered is never stale. For an interrupt this
process has not seen, the schema it saw last is a good guess (an agent asks the same form again and
again): decide.lua takes a decision only with the digest of the interrupt's own schema, so a wrong
guess costs the round trip that hands the right one back, never a decision checked against the
wrong schema.
"""

import sys
from collections import OrderedDict

MAX_REMEMBERED = 4096


class SchemaMemo:
    """A bounded map from interrupt id to its responseSchema text (least recently seen dropped first)."""

    def __init__(self, size: int = MAX_REMEMBERED) -> None:
        self._size = size
        self._by_id: OrderedDict[str, str] = OrderedDict()
        self.latest: str | None = None  # the schema seen last (of any interrupt)

    def remember(self, interrupt_id: str, schema: str | None) -> None:
        """Note `interrupt_id`'s schema (nothing to note for an interrupt without one)."""
        if schema is None:
            return
        self._by_id[interrupt_id] = self.latest = sys.intern(schema)  # interrupts asking one form share its text
        self._by_id.move_to_end(interrupt_id)
        if len(self._by_id) > self._size:
            self._by_id.popitem(last=False)

    def likely(self, interrupt_id: str, *, answered: bool) -> str | None:
        """The schema to check a decision against first: the interrupt's own, or the one seen last.

        The guess is only for a decision carrying an answer (which only an interrupt with a schema takes).
        """
        return self._by_id.get(interrupt_id) or (self.latest if answered else None)

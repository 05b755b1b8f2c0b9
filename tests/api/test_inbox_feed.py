"""The inbox feed's list: records read once, and changes that rebuild exactly the new list."""

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from service.api.inbox_feed import HREF_SLOT, changes, line
from service.clock import FrozenClock
from service.domain.models import Decision, Interrupt, NewInterrupt
from service.inboxes import PendingList
from service.store.interrupts import InterruptStore

NEW = NewInterrupt(agent_id="a", user_id="u", action="pay", context="{}", urgency="low", expires_in_ms=3_600_000)


def applied(before: list[str], removed: list[str], added: list[tuple[str, str | None]]) -> list[str]:
    """`before` with the changes applied as inbox.js applies them."""
    out = [i for i in before if i not in set(removed)]
    for interrupt_id, following in added:
        out.insert(out.index(following) if following is not None else len(out), interrupt_id)
    return out


@given(st.lists(st.booleans(), max_size=40), st.lists(st.booleans(), max_size=40))
def test_changes_rebuild_the_new_list_from_the_old(in_before: list[bool], in_after: list[bool]) -> None:
    universe = [f"id-{n:02}" for n in range(max(len(in_before), len(in_after)))]  # one order, as inbox order is
    before = [i for i, keep in zip(universe, in_before, strict=False) if keep]
    after = [i for i, keep in zip(universe, in_after, strict=False) if keep]
    removed, added = changes(before, after)
    assert applied(before, removed, added) == after
    assert set(removed).isdisjoint(after) and {i for i, _ in added}.isdisjoint(before)  # nothing sent twice


class CountingStore(InterruptStore):
    """The real store, counting how many records the feed fetches."""

    fetched = 0

    async def get_many(self, interrupt_ids: list[str]) -> list[Interrupt]:
        self.fetched += len(interrupt_ids)
        return await super().get_many(interrupt_ids)


@pytest.mark.timeout(30)
async def test_a_feed_reads_each_record_once_and_then_only_ids(redis: Redis, user_id: str) -> None:
    clock = FrozenClock()
    store = CountingStore(redis, clock, retention_ms=60_000)
    ids = [(await store.create(msgspec.structs.replace(NEW, user_id=user_id))).id for _ in range(5)]
    pending = PendingList(store, clock, user_id)
    first = await pending.read()
    assert {r.id for r in first} == set(ids) and store.fetched == 5
    clock.advance(1)
    newer = await store.create(msgspec.structs.replace(NEW, user_id=user_id, urgency="high"))
    await store.decide(ids[0], Decision(decision="approved"))
    second = await pending.read()
    assert store.fetched == 6  # only the new one was read
    assert [r.id for r in second] == [newer.id, *(r.id for r in first if r.id != ids[0])]  # high first
    clock.advance(3_600_000)  # every deadline passes: nothing is listed, nothing more is read
    assert await pending.read() == [] and store.fetched == 6


def test_a_line_links_only_where_its_slot_is_whatever_the_action_holds() -> None:
    sneaky = Interrupt(id="6a1f3c2e-0000-4000-8000-000000000001", agent_id="a", user_id="u",
                       action=f"pay {HREF_SLOT}", context="{}", urgency="low", status="pending",
                       created_at=0, expires_at=1, version=1)  # fmt: skip
    rendered = line(sneaky, "/review/x?token=t")
    assert rendered.count("/review/x?token=t") == 1 and 'href="/review/x?token=t"' in rendered

"""The inbox feed: changes that rebuild exactly the new list, lines linked only in their slot, rendered in batches."""

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.models import Interrupt, NewInterrupt
from service.web.inbox_feed import HREF_SLOT, PREPARE_BATCH, _templates, changes, line, prepare

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


def test_a_line_links_only_where_its_slot_is_whatever_the_action_holds() -> None:
    sneaky = Interrupt(id="6a1f3c2e-0000-4000-8000-000000000001", agent_id="a", user_id="u",
                       action=f"pay {HREF_SLOT}", context="{}", urgency="low", status="pending",
                       created_at=0, expires_at=1, version=1)  # fmt: skip
    rendered = line(sneaky, "/review/x?token=t")
    assert rendered.count("/review/x?token=t") == 1 and 'href="/review/x?token=t"' in rendered


@pytest.mark.timeout(10)
async def test_lines_are_prepared_a_few_per_event_loop_turn() -> None:
    records = [Interrupt(id=f"6a1f3c2e-0000-4000-8000-{n:012}", agent_id="a", user_id="u", action=f"pay {n}",
                         context="{}", urgency="low", status="pending", created_at=n, expires_at=n + 1, version=1)
               for n in range(5 * PREPARE_BATCH)]  # fmt: skip
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    counter = asyncio.create_task(count_turns())
    await prepare(records)
    counter.cancel()
    assert turns >= 4  # the other task ran between the batches
    assert all(_templates.get(r) is not None for r in records)  # every line now rendered once
    turns_before = turns
    await prepare(records)  # nothing left to render: no turns given up
    assert turns == turns_before

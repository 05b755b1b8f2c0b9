"""The waiter hub: signals by key, a watch over a changing set of keys, shutdown waking everyone, open-waiter counts."""

from collections.abc import Collection

import pytest

from service.waiting.hub import Signal, WaiterHub, wait_signal


class Counting:
    """A gauge that keeps its value."""

    value = 0.0

    def inc(self, amount: float = 1) -> None:
        self.value += amount


async def test_a_signal_set_before_its_wait_is_not_lost_and_clear_forgets_it() -> None:
    signal = Signal()
    signal.set()
    assert await wait_signal(signal, 0.01)  # set before anyone waited: the wait returns at once
    signal.clear()
    assert not await wait_signal(signal, 0.01)  # cleared: the wait times out


@pytest.mark.timeout(10)
async def test_notify_wakes_the_watchers_of_that_key_only() -> None:
    gauge = Counting()
    hub = WaiterHub(gauge)
    with hub.watch("a") as a, hub.watch("b") as b:
        assert hub.open_waiters == 2 and gauge.value == 2
        hub.notify("a")
        assert a.is_set() and not b.is_set()
        hub.notify(None)  # everyone (after a lost pub/sub connection)
        assert b.is_set()
    assert hub.open_waiters == 0 and gauge.value == 0
    hub.notify("a")  # nobody left: nothing to do, nothing raised


async def test_a_watch_follows_its_set_of_keys() -> None:
    hub = WaiterHub()
    with hub.watch_many() as watch:
        assert watch.track({"user", "i1"}) == {"user", "i1"}  # new keys: the caller re-reads
        assert watch.track({"user", "i2"}) == {"i2"}
        hub.notify("i1")  # no longer tracked
        assert not watch.event.is_set()
        hub.notify("i2")
        assert watch.event.is_set()
    watch.event.clear()
    hub.notify("user")  # the block is over: unregistered
    assert not watch.event.is_set() and hub.open_waiters == 0


async def test_register_and_unregister_are_the_public_seam() -> None:
    hub, signal = WaiterHub(), Signal()
    hub.register("k", signal)
    hub.notify("k")
    assert signal.is_set()
    signal.clear()
    hub.unregister("k", signal)
    hub.unregister("k", signal)  # twice is harmless
    hub.notify("k")
    assert not signal.is_set()


async def test_closing_wakes_every_waiter_and_later_waits_return_at_once() -> None:
    hub = WaiterHub()
    with hub.watch("a") as before:
        hub.close()
        assert before.is_set() and hub.closing
    with hub.watch("b") as after, hub.watch_many() as many:
        assert after.is_set() and many.event.is_set()


async def test_listen_sets_markers_for_the_wait_plus_a_margin() -> None:
    marked: list[tuple[list[str], int]] = []

    async def marker(keys: Collection[str], ttl_ms: int) -> None:
        marked.append((sorted(keys), ttl_ms))

    hub = WaiterHub(marker=marker)
    await hub.listen(["b", "a"], 2.5)
    await hub.listen(["a"], -1)  # a wait already over still gets the margin
    assert marked == [(["a", "b"], 7_500), (["a"], 5_000)]

"""Group commit: calls made while a batch runs share the next one; each gets its own result, or the batch's error."""

import asyncio

import pytest

from worker.batching import Batcher, committing


@pytest.mark.timeout(10)
async def test_calls_during_a_batch_share_the_next_one_and_get_their_own_results() -> None:
    batches: list[list[int]] = []
    gate = asyncio.Event()

    async def double_all(items: list[int]) -> list[int]:
        batches.append(items)
        await gate.wait()
        return [2 * i for i in items]

    batcher = Batcher(double_all)
    first = asyncio.create_task(batcher(1))
    await asyncio.sleep(0)  # the first batch is now in flight (a loop turn, not a wait for time)
    rest = [asyncio.create_task(batcher(n)) for n in (2, 3, 4)]
    gate.set()
    assert await asyncio.gather(first, *rest) == [2, 4, 6, 8]
    assert batches == [[1], [2, 3, 4]]  # a lone call ran at once; the others were one batch


@pytest.mark.timeout(10)
async def test_every_caller_of_a_failed_batch_sees_its_error_and_later_batches_still_run() -> None:
    calls = 0

    async def flaky(items: list[str]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("redis is down")

    write = committing(flaky)
    failed = await asyncio.gather(write("a"), write("b"), return_exceptions=True)
    assert all(isinstance(f, ConnectionError) for f in failed)
    await write("c")  # committed: a write answers nothing else
    assert calls == 2

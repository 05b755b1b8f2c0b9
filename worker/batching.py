"""Group commit: concurrent single-item calls coalesced into one batched call (one Redis round trip)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Calls made while a batch is in flight wait for the next one; each caller gets its own result.

    No timer: a lone call runs at once (on the next loop turn), so batching adds no latency and
    grows only under load, when it pays.
    """

    def __init__(self, run_many: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._run_many = run_many
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        """Run `item` in the next batch and return its result (or raise the batch's error)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await self._run_many([item for item, _ in batch])
            except Exception as exc:  # every caller of the batch sees the failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


def committing(write_many: Callable[[list[T]], Awaitable[None]]) -> Batcher[T, None]:
    """A Batcher for writes that answer nothing: each caller learns only that its batch committed (or why not)."""

    async def answered(items: list[T]) -> list[None]:
        await write_many(items)
        return [None] * len(items)

    return Batcher(answered)

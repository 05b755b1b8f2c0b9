"""Waiting in tests for a state that has no event to wait on: checked every few ms, bounded, never a bare spin."""

import asyncio
from collections.abc import Awaitable, Callable


async def until(check: Callable[[], Awaitable[bool]], *, within: float = 10, every: float = 0.005) -> None:
    """Return once `check()` is true; TimeoutError after `within` seconds (each check is a real read)."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(every)  # between two reads of the state, not instead of one

"""Early shutdown notice: run a callback on SIGTERM/SIGINT before the HTTP server drains its requests.

Servers answer the ASGI lifespan shutdown only after their in-flight requests end, which a held
long-poll or stream never does by itself; so the app hears the signal first, here, and answers
its waiters, and the server's own handler then runs as before. The hook chains the Python-level
handler, which works under both granian (uvloop's self-pipe still fires) and uvicorn.
"""

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def on_shutdown_signal(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Iterator[None]:
    """While the block runs, a SIGTERM/SIGINT schedules `callback` on `loop`, then calls the previous handler."""
    previous: dict[signal.Signals, Any] = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        before = previous[signal.Signals(signum)]
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:  # nobody else listens: restore the default and let it act
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for sig in SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, before in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, before)

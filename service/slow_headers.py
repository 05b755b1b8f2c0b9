"""uvicorn's HTTP/1.1 protocol with a bound on how long a request's headers may take (granian has its own)."""

import asyncio
import functools
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import Settings


@functools.cache
def header_timeout_s() -> float:
    """INTERLOCK_BODY_TIMEOUT_S, read once per worker process (uvicorn builds the protocol there)."""
    return float(Settings.from_env(os.environ).body_timeout_s)


class BoundedHeaders(HttpToolsProtocol):
    """Closes a connection whose request headers are not complete within the timeout (a slow-loris holds nothing)."""

    _headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection; its first request's headers are due within the timeout."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A request starts (also the next one on a kept-alive connection): its headers are due."""
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        """The headers arrived in time (the body has its own timeout, in the app)."""
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the timer with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._headers_due = self.loop.call_later(header_timeout_s(), self.transport.close)

    def _disarm(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

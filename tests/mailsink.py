"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message, and can refuse the first tries."""

import asyncio
import email
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from service.embedded import free_port


@dataclass
class MailSink:
    """The messages received, by recipient; `refusals[rcpt] = n` answers 451 to its first n tries (a 4xx)."""

    received: dict[str, list[EmailMessage]] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)  # refused at RCPT with 550, as a bad address is
    port: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """Accept the recipient unless it is one of `unknown`."""
        if address in self.unknown:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message, or refuse it while the recipient is set to be refused."""
        with self._changed:
            for rcpt in envelope.rcpt_tos:
                self.tries[rcpt] = self.tries.get(rcpt, 0) + 1
                if self.tries[rcpt] <= self.refusals.get(rcpt, 0):
                    return "451 4.3.0 try again later"
            message = email.message_from_bytes(envelope.content, policy=default)
            for rcpt in envelope.rcpt_tos:
                self.received.setdefault(rcpt, []).append(message)
            self._changed.notify_all()
        return "250 OK"

    async def wait_until(self, done: Callable[[dict[str, list[EmailMessage]]], bool], within: float = 20) -> None:
        """Block (in a thread, bounded) until `done(received)` holds."""

        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: done(self.received), within)

        if not await asyncio.to_thread(wait):
            raise TimeoutError(f"mail not received in {within}s: {sorted(self.received)}")


@contextmanager
def running() -> Iterator[MailSink]:
    """An SMTP sink on a free loopback port for the duration of the block."""
    sink = MailSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()

"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 at a free port, keeping every
message it accepts (and refusing the recipients it is told to refuse). It offers
``PIPELINING`` unless told not to (aiosmtpd reads pipelined commands in order either way)."""

from __future__ import annotations

import email
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Sink:
    """The aiosmtpd handler: keeps the parsed messages; refuses ``refuse`` with 550."""

    def __init__(self, refuse: frozenset[str] = frozenset(), *, pipelining: bool = True) -> None:
        self.messages: list[Message] = []
        self.refuse = refuse
        self.pipelining = pipelining
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def received(self) -> list[Message]:
        """A snapshot of the messages so far."""
        with self._lock:
            return list(self.messages)

    def per_recipient(self) -> Counter[str]:
        """How many messages each address received."""
        return Counter(str(m["To"]) for m in self.received())


@contextmanager
def smtp_sink(
    refuse: frozenset[str] = frozenset(), *, pipelining: bool = True
) -> Iterator[tuple[Sink, str]]:
    """A running sink and its ``smtp://`` URL."""
    handler = Sink(refuse, pipelining=pipelining)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}?from=news@shop.example"
    finally:
        controller.stop()

"""A publisher that keeps what it was given, for tests and in-process subscribers."""

from __future__ import annotations

from crmcore.domain.events import DomainEvent, Envelope


class MemoryPublisher:
    """Collects published envelopes in order."""

    def __init__(self) -> None:
        self.published: list[Envelope[DomainEvent]] = []

    def publish(self, envelope: Envelope[DomainEvent]) -> None:
        self.published.append(envelope)

    def types(self) -> list[str]:
        """The event type names published so far, in order."""
        return [e.type for e in self.published]

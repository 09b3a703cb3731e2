"""Ports of the loyalty board: cards, the movement log and customer facts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from crmcore.domain.loyalty import Card, CardId, Move
from crmcore.domain.loyalty_metrics import CustomerFacts


class CardRepository(Protocol):
    """One card per customer, by id and by column."""

    def get(self, card_id: CardId) -> Card | None: ...
    def get_many(self, card_ids: Collection[CardId]) -> Mapping[CardId, Card]:
        """The stored cards among ``card_ids``, by id."""
        ...

    def add(self, card: Card) -> None: ...
    def add_many(self, cards: Sequence[Card]) -> None:
        """Add new cards (at once)."""
        ...

    def save(self, card: Card) -> None: ...
    def save_many(self, cards: Sequence[Card]) -> None:
        """Save cards read (or added) in this unit of work, each checked at its version."""
        ...

    def list(self, *, level: str | None = None, active_only: bool = False) -> Sequence[Card]:
        """Cards ordered by id, optionally of one column and only the held ones."""
        ...

    def column_version(self, level: str) -> int:
        """The version of a column's WIP counter as this unit of work reads it (0 when the
        column was never taken from). Read it *before* the column's active cards."""
        ...

    def bump_column(self, level: str, read_version: int) -> None:
        """Raise the column's version from ``read_version`` (every take and release does, in
        its transaction), so two units of work taking cards in one column cannot both
        commit: the later one raises ``ConcurrentModification``, at once or at commit."""
        ...


class MoveLog(Protocol):
    """The append-only log of card movements."""

    def append(self, moves: Sequence[Move]) -> None: ...
    def list(
        self, *, card_id: CardId | None = None, since: datetime | None = None
    ) -> Sequence[Move]:
        """Moves in the order they happened (by ``at``, then id)."""
        ...


class LoyaltyFacts(Protocol):
    """The facts of each customer that the exit metrics read."""

    def get(self, customer: UUID) -> CustomerFacts | None: ...
    def get_many(self, customers: Collection[UUID]) -> Mapping[UUID, CustomerFacts]:
        """The stored facts of those of ``customers`` who have some, by customer."""
        ...

    def put(self, customer: UUID, facts: CustomerFacts) -> None:
        """Store ``facts`` as the customer's facts (insert or replace)."""
        ...

    def put_many(self, facts: Mapping[UUID, CustomerFacts]) -> None:
        """:meth:`put` for many customers at once."""
        ...

    def list(self) -> Sequence[tuple[UUID, CustomerFacts]]:
        """Every customer's facts, ordered by customer id."""
        ...

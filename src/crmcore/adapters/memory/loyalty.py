"""Memory adapters of the loyalty ports over a :class:`Transaction`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

import attrs

from crmcore.adapters.memory.database import Held, HeldRows, Transaction
from crmcore.domain.loyalty import Card, CardId, Move
from crmcore.domain.loyalty_metrics import CustomerFacts
from crmcore.ports.errors import ConcurrentModification


class MemoryCardRepository:
    """Cards in memory."""

    table = "loyalty_cards"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def get(self, card_id: CardId) -> Card | None:
        row: Card | None = self._tx.get(self.table, card_id)
        return row

    def get_many(self, card_ids: Collection[CardId]) -> dict[CardId, Card]:
        found = {card_id: self.get(card_id) for card_id in card_ids}
        return {k: v for k, v in found.items() if v is not None}

    def add(self, card: Card) -> None:
        self._tx.add(self.table, card)

    def add_many(self, cards: Sequence[Card]) -> None:
        for card in cards:
            self.add(card)

    def save(self, card: Card) -> None:
        self._tx.save(self.table, card)

    def save_many(self, cards: Sequence[Card]) -> None:
        for card in cards:
            self.save(card)

    def list(self, *, level: str | None = None, active_only: bool = False) -> Sequence[Card]:
        rows: list[Card] = [
            c
            for c in self._tx.rows(self.table)
            if (level is None or c.level == level) and (not active_only or c.holder is not None)
        ]
        return sorted(rows, key=lambda c: c.id)

    def column_version(self, level: str) -> int:
        key = _column_key(level)
        row: _ColumnRow | None = self._tx.get(_COLUMNS, key)
        if row is None:
            # the counter row carries no data: create it committed, so that two first
            # takes in a column race on its version, not on its insertion
            with self._tx.db.lock:
                self._tx.db.table(_COLUMNS).setdefault(key, _ColumnRow(id=key, version=1))
            row = self._tx.get(_COLUMNS, key)
            assert row is not None
        return row.version

    def bump_column(self, level: str, read_version: int) -> None:
        key = _column_key(level)
        if self._tx.get(_COLUMNS, key) is None:
            raise ConcurrentModification(_COLUMNS, key, read_version)
        self._tx.save(_COLUMNS, _ColumnRow(id=key, version=read_version))


_COLUMNS = "loyalty_columns"


def _column_key(level: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crmcore:loyalty-column:{level}")


@attrs.frozen(kw_only=True)
class _ColumnRow:
    id: UUID
    version: int = 0


class MemoryMoveLog:
    """The movement log in memory."""

    def __init__(self, tx: Transaction) -> None:
        self._held = HeldRows[Move](tx, "loyalty_moves")

    def append(self, moves: Sequence[Move]) -> None:
        for move in moves:
            self._held.add(move.id, move)

    def list(
        self, *, card_id: CardId | None = None, since: datetime | None = None
    ) -> Sequence[Move]:
        moves = [
            m
            for m in self._held.values()
            if (card_id is None or m.card_id == card_id) and (since is None or m.at >= since)
        ]
        return sorted(moves, key=lambda m: (m.at, m.id))


class MemoryLoyaltyFacts:
    """Customer facts in memory; a write conflicts with a concurrent write of the same customer."""

    def __init__(self, tx: Transaction) -> None:
        self._held = HeldRows[CustomerFacts](tx, "loyalty_facts")
        self._read: dict[UUID, int] = {}

    def _row(self, customer: UUID) -> Held[CustomerFacts] | None:
        row = self._held.row(customer)
        if row is not None:
            self._read.setdefault(customer, row.version)
        return row

    def get(self, customer: UUID) -> CustomerFacts | None:
        row = self._row(customer)
        return None if row is None else row.value

    def get_many(self, customers: Collection[UUID]) -> dict[UUID, CustomerFacts]:
        found = {customer: self.get(customer) for customer in customers}
        return {k: v for k, v in found.items() if v is not None}

    def put_many(self, facts: Mapping[UUID, CustomerFacts]) -> None:
        for customer, value in facts.items():
            self.put(customer, value)

    def put(self, customer: UUID, facts: CustomerFacts) -> None:
        row = self._row(customer)
        if row is None:
            self._held.add(customer, facts)
        else:
            version = self._read.get(customer, row.version)
            self._held.tx.save(self._held.table, Held(id=customer, value=facts, version=version))

    def list(self) -> Sequence[tuple[UUID, CustomerFacts]]:
        return [(r.id, r.value) for r in sorted(self._held.rows(), key=lambda r: r.id)]

"""SQL adapters of the loyalty ports: cards, the movement log, customer facts.

Rows map to domain objects explicitly. Cards and facts are versioned like
every aggregate (``SqlSession.update_entity``); each board column has a counter row in
``loyalty_columns`` that every take and release raises under a version condition, so two
transactions taking cards in one column conflict instead of both passing the WIP limit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from sqlalchemy import insert, select, update

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.chunks import in_chunks
from crmcore.adapters.sql.mapping import fields_from, fields_row
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.loyalty import Card, CardId, CustomerKind, Move
from crmcore.domain.loyalty_metrics import CustomerFacts
from crmcore.ports.errors import ConcurrentModification, DuplicateKey


def card_row(card: Card) -> dict[str, Any]:
    """The ``loyalty_cards`` row of a card (without its version)."""
    return fields_row(card)


def card_from_row(row: Any) -> Card:
    """A card from its row."""
    return fields_from(Card, row, kind=CustomerKind(row["kind"]))


def facts_row(customer: UUID, facts: CustomerFacts) -> dict[str, Any]:
    """The ``loyalty_facts`` row of a customer's facts (without its version)."""
    return fields_row(facts, id=customer, tags=sorted(facts.tags))


def facts_from_row(row: Any) -> CustomerFacts:
    """A customer's facts from their row."""
    return fields_from(
        CustomerFacts,
        row,
        revenue=Decimal(row["revenue"]),
        partner_program=bool(row["partner_program"]),
        tags=frozenset(row["tags"]),
    )


class SqlCardRepository:
    """Cards in ``loyalty_cards``; WIP counters in ``loyalty_columns``."""

    table = t.loyalty_cards

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self._columns: dict[str, int] = {}

    def _card(self, row: Any) -> Card:
        card = card_from_row(row)
        seen = self._s.seen_version(self.table, row["id"], row["version"])
        return card if seen == card.version else attrs.evolve(card, version=seen)

    def get(self, card_id: CardId) -> Card | None:
        rows = self._s.read(select(self.table).where(self.table.c.id == card_id))
        return self._card(rows[0]) if rows else None

    def get_many(self, card_ids: Collection[CardId]) -> dict[CardId, Card]:
        wanted = list(dict.fromkeys(card_ids))
        out: dict[CardId, Card] = {}
        for chunk in in_chunks(wanted):
            for row in self._s.read(select(self.table).where(self.table.c.id.in_(chunk))):
                card = self._card(row)
                out[card.id] = card
        return out

    def add(self, card: Card) -> None:
        self._s.insert_entity(self.table, card_row(card))

    def add_many(self, cards: Sequence[Card]) -> None:
        self._s.insert_many(self.table, [card_row(c) for c in cards])

    def save(self, card: Card) -> None:
        self._s.update_entity(self.table, card_row(card), card.version)

    def save_many(self, cards: Sequence[Card]) -> None:
        self._s.update_versioned(self.table, [(card_row(c), c.version) for c in cards])

    def list(self, *, level: str | None = None, active_only: bool = False) -> Sequence[Card]:
        stmt = select(self.table).order_by(self.table.c.id)
        if level is not None:
            stmt = stmt.where(self.table.c.level == level)
        if active_only:
            stmt = stmt.where(self.table.c.holder.is_not(None))
        return [self._card(r) for r in self._s.read(stmt)]

    def column_version(self, level: str) -> int:
        if level in self._columns:
            return self._columns[level]
        c = t.loyalty_columns.c
        found = self._s.scalar(select(c.version).where(c.level == level))
        version = 0 if found is None else int(found)
        self._columns[level] = version
        return version

    def bump_column(self, level: str, read_version: int) -> None:
        table, c = t.loyalty_columns, t.loyalty_columns.c
        if read_version == 0:
            try:
                self._s.write(
                    lambda: self._s.conn.execute(insert(table), {"level": level, "version": 1}),
                    table=table,
                )
            except DuplicateKey:
                # another transaction opened the column's counter first
                raise ConcurrentModification("loyalty column", level, read_version) from None
            new_version = 1
        else:
            new_version = read_version + 1
            stmt = (
                update(table)
                .where(c.level == level, c.version == read_version)
                .values(version=new_version)
            )
            result = self._s.write(lambda: self._s.conn.execute(stmt), table=table)
            if result.rowcount != 1:
                raise ConcurrentModification("loyalty column", level, read_version)
        self._columns[level] = new_version


def move_row(move: Move) -> dict[str, Any]:
    """The ``loyalty_moves`` row of a move."""
    return fields_row(move)


class SqlMoveLog:
    """The movement log in ``loyalty_moves`` (append only)."""

    table = t.loyalty_moves

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def append(self, moves: Sequence[Move]) -> None:
        if moves:
            self._s.insert_rows(self.table, [move_row(m) for m in moves])

    def list(
        self, *, card_id: CardId | None = None, since: datetime | None = None
    ) -> Sequence[Move]:
        c = self.table.c
        stmt = select(self.table).order_by(c.at, c.id)
        if card_id is not None:
            stmt = stmt.where(c.card_id == card_id)
        if since is not None:
            stmt = stmt.where(c.at >= since)
        return [fields_from(Move, r) for r in self._s.read(stmt)]


class SqlLoyaltyFacts:
    """Customer facts in ``loyalty_facts``; a write conflicts with a concurrent write of the
    same customer (the version read first in the unit of work is the one checked)."""

    table = t.loyalty_facts

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self._read: dict[UUID, int] = {}
        # customers :meth:`get_many` found without facts: :meth:`put_many` inserts them
        # without reading them again (a row another writer inserted in between fails
        # the insert on the primary key, as a concurrent change should)
        self._absent: set[UUID] = set()

    def _fetch(self, customer: UUID) -> CustomerFacts | None:
        rows = self._s.read(select(self.table).where(self.table.c.id == customer))
        if not rows:
            return None
        self._read.setdefault(customer, rows[0]["version"])
        return facts_from_row(rows[0])

    def get(self, customer: UUID) -> CustomerFacts | None:
        return self._fetch(customer)

    def get_many(self, customers: Collection[UUID]) -> dict[UUID, CustomerFacts]:
        wanted = list(dict.fromkeys(customers))
        out: dict[UUID, CustomerFacts] = {}
        for chunk in in_chunks(wanted):
            for row in self._s.read(select(self.table).where(self.table.c.id.in_(chunk))):
                self._read.setdefault(row["id"], row["version"])
                out[row["id"]] = facts_from_row(row)
        self._absent.update(c for c in wanted if c not in out and c not in self._read)
        return out

    def put_many(self, facts: Mapping[UUID, CustomerFacts]) -> None:
        read, absent = self._read, self._absent
        unread = [c for c in facts if c not in read and c not in absent]
        if unread:
            self.get_many(unread)
        fresh = [c for c in facts if c not in read]
        self._s.insert_many(self.table, [facts_row(c, facts[c]) for c in fresh])
        for customer in fresh:
            read[customer] = 0
            absent.discard(customer)
        fresh_set = set(fresh)
        self._s.update_versioned(
            self.table,
            [(facts_row(c, f), self._read[c]) for c, f in facts.items() if c not in fresh_set],
        )

    def put(self, customer: UUID, facts: CustomerFacts) -> None:
        if customer not in self._read and self._fetch(customer) is None:
            self._s.insert_entity(self.table, facts_row(customer, facts))
            self._read[customer] = 0
            return
        # a row inserted or saved earlier in this unit of work is checked by the session
        self._s.update_entity(self.table, facts_row(customer, facts), self._read[customer])

    def list(self) -> Sequence[tuple[UUID, CustomerFacts]]:
        rows = self._s.read(select(self.table).order_by(self.table.c.id))
        for r in rows:
            self._read.setdefault(r["id"], r["version"])
        return [(r["id"], facts_from_row(r)) for r in rows]

"""SQL adapter of the relationship repository (``relationships``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, or_, select

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.mapping import fields_from, fields_row
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.relationships import RelationRole, Relationship


def _from(row: Any) -> Relationship:
    return fields_from(Relationship, row, role=RelationRole(row["role"]))


class SqlRelationshipRepository:
    """Relationships in SQL."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def add(self, relationship: Relationship) -> None:
        row = fields_row(relationship, version=1)
        stmt = insert(t.relationships).values(row)
        self._s.write(lambda: self._s.conn.execute(stmt), table=t.relationships, row=row)

    def get(self, relationship_id: UUID) -> Relationship | None:
        rows = self._s.read(select(t.relationships).where(t.relationships.c.id == relationship_id))
        return _from(rows[0]) if rows else None

    def remove(self, relationship_id: UUID) -> None:
        stmt = delete(t.relationships).where(t.relationships.c.id == relationship_id)
        self._s.write(lambda: self._s.conn.execute(stmt), table=t.relationships)

    def _where(self, clause: Any) -> list[Relationship]:
        rel = t.relationships
        stmt = select(rel).where(clause).order_by(rel.c.created_at, rel.c.id)
        return [_from(r) for r in self._s.read(stmt)]

    def for_account(self, account_id: AccountId) -> Sequence[Relationship]:
        return self._where(t.relationships.c.account_id == account_id)

    def for_contact(self, contact_id: ContactId) -> Sequence[Relationship]:
        rel = t.relationships
        return self._where(
            or_(rel.c.contact_id == contact_id, rel.c.other_contact_id == contact_id)
        )

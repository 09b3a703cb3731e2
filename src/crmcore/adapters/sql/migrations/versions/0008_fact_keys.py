"""Pipeline facts keyed by what identifies them: ``(event_id, kind, name)``.

The ``id`` column held ``uuid5(kind, event id, name)``: the same uniqueness, but a hash,
so every batch of facts landed on random pages of its index (on SQLite each commit then
rewrote most of that index) and every fact cost a SHA-1. The primary key is now the
triple itself, which follows the producer's event ids (ADR 0012). Upgrading copies the
rows (SQLite) or alters the table in place (PostgreSQL); downgrading computes the old
keys again.

Revision ID: 0008_fact_keys
Revises: 0007_customer_rfm
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0008_fact_keys"
down_revision = "0007_customer_rfm"
branch_labels = None
depends_on = None

#: ``crmcore.domain.inbox.INBOX_NAMESPACE``, frozen with the revision.
NAMESPACE = uuid.UUID("5b0f1a52-6f0e-4c59-9a3c-3f2b7c1e0d11")
COMMENT = "library: facts the pipeline derived per customer, idempotent by event (C10)"
DATA = "contact_id, event_id, kind, name, value, occurred_at"


def _columns(*, with_id: bool) -> list[sa.Column[Any]]:
    key = not with_id
    return [
        *([sa.Column("id", sa.Uuid(), nullable=False)] if with_id else []),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False, primary_key=key),
        sa.Column("kind", sa.String(length=20), nullable=False, primary_key=key),
        sa.Column("name", sa.String(length=100), nullable=False, primary_key=key),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
    ]


def _rebuild_sqlite(*, with_id: bool) -> None:
    """SQLite cannot change a primary key: copy the rows into a table of the new shape."""
    keys = ["id"] if with_id else ["event_id", "kind", "name"]
    op.create_table(
        "pipeline_facts_new",
        *_columns(with_id=with_id),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_pipeline_facts")),
        comment=COMMENT,
    )
    if with_id:
        rows = op.get_bind().execute(sa.text(f"SELECT {DATA} FROM pipeline_facts")).fetchall()
        _execute_many(
            sa.text(
                f"INSERT INTO pipeline_facts_new (id, {DATA})"
                " VALUES (:id, :contact_id, :event_id, :kind, :name, :value, :occurred_at)"
            ),
            [{"id": _key(r).hex, **r._asdict()} for r in rows],
        )
    else:
        op.execute(f"INSERT INTO pipeline_facts_new ({DATA}) SELECT {DATA} FROM pipeline_facts")
    op.drop_index("ix_pipeline_facts_contact", table_name="pipeline_facts")
    op.drop_table("pipeline_facts")
    op.rename_table("pipeline_facts_new", "pipeline_facts")
    op.create_index("ix_pipeline_facts_contact", "pipeline_facts", ["contact_id", "occurred_at"])


def _execute_many(statement: sa.TextClause, params: list[dict[str, Any]]) -> None:
    if params:
        op.get_bind().execute(statement, params)


def _key(row: sa.Row[object]) -> uuid.UUID:
    m = row._mapping
    return uuid.uuid5(NAMESPACE, f"{m['kind']}\x00{m['event_id']}\x00{m['name']}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_id=False)
        return
    op.drop_constraint("pk_pipeline_facts", "pipeline_facts", type_="primary")
    op.drop_column("pipeline_facts", "id")
    op.create_primary_key("pk_pipeline_facts", "pipeline_facts", ["event_id", "kind", "name"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(with_id=True)
        return
    op.add_column("pipeline_facts", sa.Column("id", sa.Uuid(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT event_id, kind, name FROM pipeline_facts")).fetchall()
    _execute_many(
        sa.text(
            "UPDATE pipeline_facts SET id = :id"
            " WHERE event_id = :event_id AND kind = :kind AND name = :name"
        ),
        [{"id": _key(r), **r._asdict()} for r in rows],
    )
    op.drop_constraint("pk_pipeline_facts", "pipeline_facts", type_="primary")
    op.alter_column("pipeline_facts", "id", nullable=False)
    op.create_primary_key("pk_pipeline_facts", "pipeline_facts", ["id"])

"""Pipeline facts keyed contact first: ``(contact_id, occurred_at, event_id, kind, name)``.

The key ``(event_id, kind, name)`` followed the producers' event ids, which are random
for most producers (a CSV row's content hash, a UUIDv4): every batch landed on random
pages of the key's index, and on SQLite each commit rewrote most of it (600,000 facts of
the transactions import: 12.5 s of SQLite's own work, against 2.4 s keyed by contact).
An event fixes its contact and time, so the new key identifies the same facts; it also
serves a contact's facts in their order, so ``ix_pipeline_facts_contact`` goes (ADR 0031).
Upgrading copies the rows (SQLite) or re-keys the table in place (PostgreSQL).

Revision ID: 0020_facts_by_contact
Revises: 0019_health_due
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0020_facts_by_contact"
down_revision = "0019_health_due"
branch_labels = None
depends_on = None

NEW_KEY = ["contact_id", "occurred_at", "event_id", "kind", "name"]
OLD_KEY = ["event_id", "kind", "name"]
#: The partial indexes of revision 0017, which a SQLite rebuild creates again.
PARTIAL = {
    "ix_pipeline_facts_nps": "kind = 'loyalty' AND name = 'nps'",
    "ix_pipeline_facts_sentiment": "kind = 'sentiment'",
}
CONTACT_INDEX = "ix_pipeline_facts_contact"


def _rebuild_sqlite(key: list[str]) -> None:
    """SQLite cannot change a primary key: copy the rows into a table of the new shape
    (its DDL is the old one's with the key replaced; a downgrade keeps the first row of a
    key that is no longer unique)."""
    bind = op.get_bind()
    ddl = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pipeline_facts'")
    ).scalar_one()
    old = f"PRIMARY KEY ({', '.join(OLD_KEY if key == NEW_KEY else NEW_KEY)})"
    if old not in ddl:
        raise RuntimeError(f"pipeline_facts is not keyed {old}: {ddl}")
    ddl = ddl.replace(old, f"PRIMARY KEY ({', '.join(key)})")
    op.execute(re.sub(r'^CREATE TABLE "?pipeline_facts"?', "CREATE TABLE pipeline_facts_new", ddl))
    columns = "contact_id, event_id, kind, name, value, occurred_at"
    op.execute(
        f"INSERT OR IGNORE INTO pipeline_facts_new ({columns})"
        f" SELECT {columns} FROM pipeline_facts ORDER BY {', '.join(key)}"
    )
    op.drop_table("pipeline_facts")  # its indexes with it
    op.rename_table("pipeline_facts_new", "pipeline_facts")
    if key == OLD_KEY:
        op.create_index(CONTACT_INDEX, "pipeline_facts", ["contact_id", "occurred_at"])
    for name, where in PARTIAL.items():
        op.create_index(
            name, "pipeline_facts", ["contact_id", "occurred_at"], sqlite_where=sa.text(where)
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(NEW_KEY)
        return
    op.drop_constraint("pk_pipeline_facts", "pipeline_facts", type_="primary")
    op.create_primary_key("pk_pipeline_facts", "pipeline_facts", NEW_KEY)
    op.drop_index(CONTACT_INDEX, table_name="pipeline_facts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(OLD_KEY)
        return
    # the first row of a key that is no longer unique stays
    op.execute(
        "DELETE FROM pipeline_facts a USING pipeline_facts b WHERE a.event_id = b.event_id"
        " AND a.kind = b.kind AND a.name = b.name AND a.ctid > b.ctid"
    )
    op.drop_constraint("pk_pipeline_facts", "pipeline_facts", type_="primary")
    op.create_primary_key("pk_pipeline_facts", "pipeline_facts", OLD_KEY)
    op.create_index(CONTACT_INDEX, "pipeline_facts", ["contact_id", "occurred_at"])

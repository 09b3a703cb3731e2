"""This database's own secrets: the key of the audit log's subject HMAC.

The audit log named a person by an unsalted SHA-256 of their address, which anyone
holding the address can recompute. Subjects are now an HMAC under a secret created on
first use and kept in this table (docs/storage.md).

Revision ID: 0009_database_secrets
Revises: 0008_fact_keys
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0009_database_secrets"
down_revision = "0008_fact_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "database_secrets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column(
            "secret",
            sa.String(length=128),
            nullable=False,
            comment="hex; never leaves the database",
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_database_secrets")),
        comment="library: this database's own keys (the audit log's subject HMAC)",
    )


def downgrade() -> None:
    op.drop_table("database_secrets")

"""Data quality (issue 18): contact merges with their before-images, so that each can be
undone; relationships of contacts to accounts and to other contacts.

Revision ID: 0012_data_quality
Revises: 0010_inbox_customer_key
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0012_data_quality"
down_revision = "0011_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_merges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("keep_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("merged_by", sa.String(length=200), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_merges")),
        comment="library: contact merges with both before-images and the rows moved (C2)",
    )
    with op.batch_alter_table("contact_merges") as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_merges_keep_id"), ["keep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_merges_other_id"), ["other_id"], unique=False)
    op.create_table(
        "relationships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("other_contact_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_relationships_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_relationships_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["other_contact_id"],
            ["contacts.id"],
            name=op.f("fk_relationships_other_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relationships")),
        comment="Relationship mapping: a contact's role for an account or another contact (C2)",
    )
    with op.batch_alter_table("relationships") as batch_op:
        for column in ("account_id", "contact_id", "other_contact_id"):
            batch_op.create_index(batch_op.f(f"ix_relationships_{column}"), [column])


def downgrade() -> None:
    with op.batch_alter_table("relationships") as batch_op:
        for column in ("account_id", "contact_id", "other_contact_id"):
            batch_op.drop_index(batch_op.f(f"ix_relationships_{column}"))
    op.drop_table("relationships")
    with op.batch_alter_table("contact_merges") as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_merges_other_id"))
        batch_op.drop_index(batch_op.f("ix_contact_merges_keep_id"))
    op.drop_table("contact_merges")

"""Account merges: both before-images and the rows moved, so that each can be undone.

Revision ID: 0016_account_merge
Revises: 0015_analytics_more
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0016_account_merge"
down_revision = "0015_analytics_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_merges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("keep_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("merged_by", sa.String(length=200), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("undone_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_merges")),
        comment="library: account merges with both before-images and the rows moved (C2)",
    )
    with op.batch_alter_table("account_merges") as batch_op:
        batch_op.create_index(batch_op.f("ix_account_merges_keep_id"), ["keep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_merges_other_id"), ["other_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_merges") as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_merges_other_id"))
        batch_op.drop_index(batch_op.f("ix_account_merges_keep_id"))
    op.drop_table("account_merges")

"""Health reassessment is coalesced: customers touched by events are marked due.

The event worker used to reassess every touched customer in every batch (a health record
per customer and batch). Handlers now mark them in ``health_due`` (one row per customer,
in the transaction of the events' cause) and the worker reassesses the marked customers in
bulk once the inbox is drained, or every few batches under steady load (ADR 0030).

Revision ID: 0019_health_due
Revises: 0018_rfm_summary_per_statement
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0019_health_due"
down_revision = "0018_rfm_summary_per_statement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_due",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_health_due")),
        comment=(
            "library: customers whose health is to be reassessed (touched by events since "
            "their last assessment); the event worker reassesses them in bulk (ADR 0030)"
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("health_due")

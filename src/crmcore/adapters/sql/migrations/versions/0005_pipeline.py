"""The event pipeline: inbox, failed events, review items and derived facts.

Revision ID: 0005_pipeline
Revises: 0004_loyalty
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0005_pipeline"
down_revision = "0004_loyalty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_inbox",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("validated", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "order_at",
            UTCDateTime(timezone=True),
            nullable=False,
            comment="occurred_at, else received_at",
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claim_token", sa.Uuid(), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_inbox")),
        comment="library: accepted events and their processing state (C10)",
    )
    op.create_index(
        "ix_event_inbox_claim", "event_inbox", ["status", "order_at", "event_id"], unique=False
    )

    op.create_table(
        "failed_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_events")),
        comment="library: input that could not be accepted, with its reasons (C10)",
    )
    op.create_index(
        "ix_failed_events_status", "failed_events", ["status", "received_at"], unique=False
    )

    op.create_table(
        "review_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("proposed_action", sa.Text(), nullable=False),
        sa.Column("proposed_label", sa.String(length=16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        comment="library: events waiting for an operator (C10)",
    )
    op.create_index(op.f("ix_review_items_event_id"), "review_items", ["event_id"], unique=False)
    op.create_index(
        "ix_review_items_open", "review_items", ["status", "reason", "created_at"], unique=False
    )

    op.create_table(
        "pipeline_facts",
        sa.Column("id", sa.Uuid(), nullable=False, comment="uuid5 of (kind, event id, name)"),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_facts")),
        comment="library: facts the pipeline derived per customer, idempotent by event (C10)",
    )
    op.create_index(
        "ix_pipeline_facts_contact", "pipeline_facts", ["contact_id", "occurred_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pipeline_facts_contact", table_name="pipeline_facts")
    op.drop_table("pipeline_facts")
    op.drop_index("ix_review_items_open", table_name="review_items")
    op.drop_index(op.f("ix_review_items_event_id"), table_name="review_items")
    op.drop_table("review_items")
    op.drop_index("ix_failed_events_status", table_name="failed_events")
    op.drop_table("failed_events")
    op.drop_index("ix_event_inbox_claim", table_name="event_inbox")
    op.drop_table("event_inbox")

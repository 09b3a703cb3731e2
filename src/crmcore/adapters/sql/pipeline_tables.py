"""Tables of the event pipeline: inbox, failed events, review items (SQLAlchemy Core).

Declared on their own :data:`metadata` so they can be merged into the shared one.
Times are stored as timezone-aware UTC on PostgreSQL and as UTC on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

UtcTime = sa.DateTime(timezone=True)

inbox = sa.Table(
    "event_inbox",
    metadata,
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("validated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcTime, nullable=False, server_default=sa.func.now()),
    sa.Column("occurred_at", UtcTime, nullable=True),
    sa.Column("received_at", UtcTime, nullable=False, server_default=sa.func.now()),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("claim_token", sa.Uuid, nullable=True),
    sa.Column("lease_until", UtcTime, nullable=True),
    sa.Column("processed_at", UtcTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_event_inbox_due", "status", "next_attempt_at"),
    sa.Index("ix_event_inbox_order", "occurred_at", "event_id"),
)

failed_events = sa.Table(
    "failed_events",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("errors", sa.JSON, nullable=False),
    sa.Column("event_id", sa.String(200), nullable=True),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("received_at", UtcTime, nullable=False),
    sa.Column("updated_at", UtcTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_failed_events_status", "status", "received_at"),
)

review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("event_id", sa.String(128), nullable=False, index=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("proposed_action", sa.Text, nullable=False),
    sa.Column("proposed_label", sa.String(16), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("candidates", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("resolution", sa.JSON, nullable=True),
    sa.Column("created_at", UtcTime, nullable=False),
    sa.Column("resolved_at", UtcTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_review_items_open", "status", "reason", "created_at"),
)

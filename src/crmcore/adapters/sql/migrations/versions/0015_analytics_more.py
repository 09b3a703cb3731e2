"""Alerts: at most one open alert per condition (a partial unique index, so concurrent
checks cannot open one twice); measured alert inputs (channel service reached, lead
scoring latency).

Revision ID: 0015_analytics_more
Revises: 0014_http_access
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0015_analytics_more"
down_revision = "0014_http_access"
branch_labels = None
depends_on = None

OPEN = sa.text("cleared_at IS NULL")


def upgrade() -> None:
    # a database that already holds two open alerts of one key keeps the older open
    op.execute(
        "UPDATE alerts SET cleared_at = raised_at, version = version + 1 "
        "WHERE cleared_at IS NULL AND EXISTS (SELECT 1 FROM alerts older "
        "WHERE older.key = alerts.key AND older.cleared_at IS NULL "
        "AND (older.raised_at < alerts.raised_at "
        "OR (older.raised_at = alerts.raised_at AND older.id < alerts.id)))"
    )
    op.create_index(
        "uq_alerts_open_key",
        "alerts",
        ["key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "measurements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
        comment="library: samples of the alert inputs (channel service reached, scoring latency)",
    )
    op.create_index("ix_measurements_name_at", "measurements", ["name", "at"])


def downgrade() -> None:
    op.drop_index("ix_measurements_name_at", table_name="measurements")
    op.drop_table("measurements")
    op.drop_index("uq_alerts_open_key", table_name="alerts")

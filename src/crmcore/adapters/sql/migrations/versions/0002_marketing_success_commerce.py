"""Marketing, customer success and commerce: campaigns (+ deliveries), segments,
health scores, transactions, and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import Amount, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        comment="library: who did what to personal data (privacy export/erase, merges)",
    )

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "type", sa.String(length=30), nullable=True, comment="kind: onboarding, activation, ..."
        ),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("scheduled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column(
            "definition", sa.JSON(), nullable=False, comment="library: steps, variants, triggers"
        ),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        comment="Campaign (source) + channel, definition, version",
    )

    op.create_table(
        "segments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("last_updated", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        comment="Segment (source) + version",
    )

    op.create_table(
        "campaign_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("variant", sa.String(length=50), nullable=True),
        sa.Column(
            "status",
            sa.String(length=20),
            nullable=False,
            comment="sent, opened, clicked, failed, ...",
        ),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_deliveries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_campaign_deliveries_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_deliveries")),
        comment="library: per-recipient campaign detail (kept 1 year, C12)",
    )

    with op.batch_alter_table("campaign_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_deliveries_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_campaign_deliveries_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaign_deliveries_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "health_scores",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=10), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_health_scores_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_health_scores_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scores")),
        comment="HealthScore (source) + contact/account links (history kept 6 months, C12)",
    )

    with op.batch_alter_table("health_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_scores_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_health_scores_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_health_scores_user_time", ["user_id", "computed_at"], unique=False
        )

    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_transactions_contact_id_contacts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("external_id", name=op.f("uq_transactions_external_id")),
        comment="library: purchases (RFM, CLV); covering index for per-customer aggregates",
    )

    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_rfm", ["contact_id", "occurred_at", "amount"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_rfm")

    op.drop_table("transactions")

    with op.batch_alter_table("health_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_health_scores_user_time")
        batch_op.drop_index(batch_op.f("ix_health_scores_contact_id"))
        batch_op.drop_index(batch_op.f("ix_health_scores_account_id"))

    op.drop_table("health_scores")

    with op.batch_alter_table("campaign_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_deliveries_contact_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_deliveries_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_deliveries_at"))

    op.drop_table("campaign_deliveries")

    op.drop_table("segments")

    op.drop_table("campaigns")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")

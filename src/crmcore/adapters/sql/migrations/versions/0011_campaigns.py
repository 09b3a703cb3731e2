"""Marketing automation: deliveries keyed by (campaign, step, contact) and claimable by
workers; message templates; consent per address and channel (issue 17, ADR 0016).

``campaign_deliveries`` had no code writing to it before this revision, so its new
non-null columns need no backfill; the server defaults only let SQLite add them.

Revision ID: 0011_campaigns
Revises: 0010_inbox_customer_key
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0011_campaigns"
down_revision = "0010_inbox_customer_key"
branch_labels = None
depends_on = None

_NEW_COLUMNS = ("step", "address", "attempts", "claimed_until", "message_id", "error",
                "opened_at", "clicked_at", "converted_at")  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("campaign_deliveries") as batch:
        batch.add_column(sa.Column("step", sa.Integer(), nullable=False, server_default="0",
                                   comment="issue 17: sequence step, 0"))  # fmt: skip
        batch.add_column(sa.Column("address", sa.String(320), nullable=False, server_default="",
                                   comment="issue 17: where to"))  # fmt: skip
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0",
                                   comment="issue 17: claims"))  # fmt: skip
        batch.add_column(sa.Column("claimed_until", UTCDateTime(timezone=True),
                                   comment="issue 17: a worker's lease"))  # fmt: skip
        batch.add_column(sa.Column("message_id", sa.String(300),
                                   comment="issue 17: the channel's id"))  # fmt: skip
        batch.add_column(sa.Column("error", sa.Text(), comment="issue 17: why the channel refused"))
        for name in ("opened_at", "clicked_at", "converted_at"):
            batch.add_column(
                sa.Column(name, UTCDateTime(timezone=True), comment="issue 17: engagement")
            )
        batch.create_index(
            "uq_campaign_deliveries_key", ["campaign_id", "step", "contact_id"], unique=True
        )
        batch.create_index("ix_campaign_deliveries_due", ["campaign_id", "status"])
    with op.batch_alter_table("campaign_deliveries") as batch:
        for name in ("step", "address", "attempts"):
            batch.alter_column(name, server_default=None)
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        comment="library (issue 17): named subject + body templates (Jinja2 sandbox)",
    )
    op.create_index("uq_message_templates_name", "message_templates", ["name"], unique=True)
    op.create_table(
        "marketing_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_consents")),
        comment="library (issue 17): consent per address and channel; withdrawn = suppressed",
    )
    op.create_index(
        "uq_marketing_consents_key", "marketing_consents", ["address", "channel"], unique=True
    )
    op.create_table(
        "sequence_enrollments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sequence_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "left_reason", sa.String(20), nullable=True, comment="goal, unsubscribed, removed"
        ),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["campaigns.id"],
            ondelete="CASCADE",
            name=op.f("fk_sequence_enrollments_sequence_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_sequence_enrollments_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_enrollments")),
        comment="library (issue 17): who is in which drip sequence since when",
    )
    op.create_index(
        "uq_sequence_enrollments_key",
        "sequence_enrollments",
        ["sequence_id", "contact_id"],
        unique=True,
    )
    op.create_index("ix_sequence_enrollments_contact_id", "sequence_enrollments", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_sequence_enrollments_contact_id", table_name="sequence_enrollments")
    op.drop_index("uq_sequence_enrollments_key", table_name="sequence_enrollments")
    op.drop_table("sequence_enrollments")
    op.drop_index("uq_marketing_consents_key", table_name="marketing_consents")
    op.drop_table("marketing_consents")
    op.drop_index("uq_message_templates_name", table_name="message_templates")
    op.drop_table("message_templates")
    with op.batch_alter_table("campaign_deliveries") as batch:
        batch.drop_index("ix_campaign_deliveries_due")
        batch.drop_index("uq_campaign_deliveries_key")
        for name in reversed(_NEW_COLUMNS):
            batch.drop_column(name)

"""The HTTP surface: API keys (hash only), idempotent responses, webhook subscriptions.

Revision ID: 0014_http_access
Revises: 0010_inbox_customer_key
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0014_http_access"
down_revision = "0013_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, comment="hex SHA-256"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        comment="library: HTTP API keys; only the hash of each token is kept",
    )
    op.create_table(
        "idempotent_responses",
        sa.Column(
            "id", sa.Uuid(), nullable=False, comment="uuid5 of (API key id, Idempotency-Key)"
        ),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_responses")),
        comment="library: first responses to POSTs with an Idempotency-Key, replayed",
    )
    op.create_index(
        op.f("ix_idempotent_responses_created_at"), "idempotent_responses", ["created_at"]
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column(
            "secret", sa.String(128), nullable=False, comment="HMAC key shared with the receiver"
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
        comment="library: outbound webhooks for crm.* events",
    )


def downgrade() -> None:
    op.drop_table("webhook_subscriptions")
    op.drop_index(op.f("ix_idempotent_responses_created_at"), table_name="idempotent_responses")
    op.drop_table("idempotent_responses")
    op.drop_table("api_keys")

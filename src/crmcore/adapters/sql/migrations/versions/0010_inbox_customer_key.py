"""The inbox keeps a stable key of each event's customer, for claims by customer.

``customer_key`` is :func:`crmcore.domain.inbox.customer_key` of the event's customer
(a 31-bit hash of its e-mail, else user id, else phone). On PostgreSQL a worker claims
whole customers: the due events of customers no other live lease holds, so the events
of one customer go to one worker at a time (ADR 0009). Entries stored before this
revision (or written by other services) have none: each is a group of its own.

Revision ID: 0010_inbox_customer_key
Revises: 0009_database_secrets
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_inbox_customer_key"
down_revision = "0009_database_secrets"
branch_labels = None
depends_on = None

COMMENT = "a hash of the customer's key: claims by customer"


def upgrade() -> None:
    with op.batch_alter_table("event_inbox") as batch:
        batch.add_column(sa.Column("customer_key", sa.Integer(), nullable=True, comment=COMMENT))


def downgrade() -> None:
    with op.batch_alter_table("event_inbox") as batch:
        batch.drop_column("customer_key")

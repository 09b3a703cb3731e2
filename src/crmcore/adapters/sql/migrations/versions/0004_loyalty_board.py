"""The loyalty board (C8): cards, the movement log, customer facts and column versions.

Revision ID: 0004_loyalty
Revises: 0003_intel
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import Amount, UTCDateTime

revision = "0004_loyalty"
down_revision = "0003_intel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_cards",
        sa.Column(
            "id", sa.Uuid(), nullable=False, comment="the customer's id (contact or account)"
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("contact", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("first_interaction", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=100), nullable=False),
        sa.Column("entered_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("taken_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_cards")),
        comment="library: loyalty board cards (C8), one per customer",
    )
    op.create_index(
        "ix_loyalty_cards_level_holder", "loyalty_cards", ["level", "holder"], unique=False
    )
    op.create_table(
        "loyalty_moves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("from_level", sa.String(length=100), nullable=False),
        sa.Column("to_level", sa.String(length=100), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_moves")),
        comment="library: append-only log of loyalty card movements (C8)",
    )
    op.create_index("ix_loyalty_moves_at_id", "loyalty_moves", ["at", "id"], unique=False)
    op.create_index("ix_loyalty_moves_card_at", "loyalty_moves", ["card_id", "at"], unique=False)
    op.create_table(
        "loyalty_facts",
        sa.Column("id", sa.Uuid(), nullable=False, comment="the customer's id"),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("revenue", Amount(), nullable=False),
        sa.Column("referral_invites", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("referred_friends_converted", sa.Integer(), nullable=False),
        sa.Column("partner_program", sa.Boolean(), nullable=False),
        sa.Column("paying_customers_brought", sa.Integer(), nullable=False),
        sa.Column("advocacy", sa.Integer(), nullable=False),
        sa.Column("form_answers", sa.Integer(), nullable=False),
        sa.Column("last_nps", sa.Integer(), nullable=True),
        sa.Column("first_interaction", sa.Date(), nullable=True),
        sa.Column("last_purchase", sa.Date(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_facts")),
        comment="library: customer facts the loyalty exit metrics read (C8)",
    )
    op.create_table(
        "loyalty_columns",
        sa.Column("level", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_loyalty_columns")),
        comment="library: one row per board column, bumped by every take and release so "
        "concurrent takes past the WIP limit conflict",
    )


def downgrade() -> None:
    op.drop_table("loyalty_columns")
    op.drop_table("loyalty_facts")
    op.drop_index("ix_loyalty_moves_card_at", table_name="loyalty_moves")
    op.drop_index("ix_loyalty_moves_at_id", table_name="loyalty_moves")
    op.drop_table("loyalty_moves")
    op.drop_index("ix_loyalty_cards_level_holder", table_name="loyalty_cards")
    op.drop_table("loyalty_cards")

"""CLV (C9): stored fits and per-customer predictions.

Revision ID: 0006_clv
Revises: 0005_pipeline
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import Amount, UTCDateTime

revision = "0006_clv"
down_revision = "0005_pipeline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clv_fits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fitted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("r", sa.Double(), nullable=False),
        sa.Column("alpha", sa.Double(), nullable=False),
        sa.Column("a", sa.Double(), nullable=False),
        sa.Column("b", sa.Double(), nullable=False),
        sa.Column("log_likelihood", sa.Double(), nullable=False),
        sa.Column("gg_p", sa.Double(), nullable=True),
        sa.Column("gg_q", sa.Double(), nullable=True),
        sa.Column("gg_gamma", sa.Double(), nullable=True),
        sa.Column("gg_customers", sa.Integer(), nullable=True),
        sa.Column("gg_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clv_fits")),
        comment="library: CLV fits (BG/NBD + Gamma-Gamma, C9); the highest id is the latest",
    )
    op.create_table(
        "clv_predictions",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency", sa.Double(), nullable=False),
        sa.Column("t", sa.Double(), nullable=False),
        sa.Column("expected_purchases", sa.Double(), nullable=False),
        sa.Column("p_alive", sa.Double(), nullable=False),
        sa.Column("expected_avg_value", Amount(), nullable=True),
        sa.Column("clv", Amount(), nullable=True),
        sa.Column("horizon", sa.Double(), nullable=False),
        sa.Column("discount_rate", sa.Double(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_clv_predictions")),
        comment="library: each customer's latest CLV prediction with the stored fit (C9)",
    )


def downgrade() -> None:
    op.drop_table("clv_predictions")
    op.drop_table("clv_fits")

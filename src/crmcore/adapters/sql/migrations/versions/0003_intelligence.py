"""Customer intelligence on SQL: a segment's ``updated_at`` and unique name, and the
churn-risk ``reasons`` of each health score.

Revision ID: 0003_intel
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import UTCDateTime

revision = "0003_intel"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                UTCDateTime(timezone=True),
                nullable=True,
                comment="library: last change of the definition or count",
            )
        )
        batch_op.create_index("uq_segments_name", ["name"], unique=True)
    with op.batch_alter_table("health_scores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reasons",
                sa.JSON(),
                nullable=True,
                comment="library: churn-risk reasons of the assessment",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("health_scores", schema=None) as batch_op:
        batch_op.drop_column("reasons")
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_index("uq_segments_name")
        batch_op.drop_column("updated_at")

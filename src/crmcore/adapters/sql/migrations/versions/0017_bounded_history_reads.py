"""Indexes that keep a batch's reads bounded however long a customer's history grows.

* ``ix_health_scores_contact_time`` (contact, computed_at) replaces the contact-only
  index: a contact's latest assessment is one backward seek.
* ``ix_pipeline_facts_nps`` and ``ix_pipeline_facts_sentiment``, partial indexes over the
  two rare kinds of fact health and the board look up (an NPS answer, a sentiment): a
  contact's latest one is a short backward scan, not a read of all their facts.

Revision ID: 0017_bounded_history_reads
Revises: 0016_account_merge
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_bounded_history_reads"
down_revision = "0016_account_merge"
branch_labels = None
depends_on = None

NPS = "kind = 'loyalty' AND name = 'nps'"
SENTIMENT = "kind = 'sentiment'"


def _partial(name: str, where: str) -> None:
    op.create_index(
        name,
        "pipeline_facts",
        ["contact_id", "occurred_at"],
        unique=False,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table("health_scores") as batch_op:
        batch_op.create_index(
            "ix_health_scores_contact_time", ["contact_id", "computed_at"], unique=False
        )
        batch_op.drop_index("ix_health_scores_contact_id")
    _partial("ix_pipeline_facts_nps", NPS)
    _partial("ix_pipeline_facts_sentiment", SENTIMENT)


def downgrade() -> None:
    op.drop_index("ix_pipeline_facts_sentiment", table_name="pipeline_facts")
    op.drop_index("ix_pipeline_facts_nps", table_name="pipeline_facts")
    with op.batch_alter_table("health_scores") as batch_op:
        batch_op.create_index("ix_health_scores_contact_id", ["contact_id"], unique=False)
        batch_op.drop_index("ix_health_scores_contact_time")

"""Per-customer transaction summary kept by the database (C7, issue 6; ADR 0011).

``customer_rfm`` holds, for every contact with transactions, their count, first and last
``occurred_at`` and the sum of their amounts (whatever the currency, as the grouped RFM
query sums them). Triggers on ``transactions`` keep it right for every write path:

* insert: add the new rows to their customer's row (created when absent);
* delete, update: recompute the touched customers from ``transactions`` (through the
  covering index ``ix_transactions_rfm``), deleting the rows of customers left with none.

SQLite has row-level triggers only; PostgreSQL uses statement-level triggers over
transition tables, so a multi-row statement touches each customer once. The DDL is
written out here, frozen with the revision. On SQLite, a later migration that rebuilds
``transactions`` (``batch_alter_table``) drops these triggers and must create them again.

Revision ID: 0007_customer_rfm
Revises: 0006_clv
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crmcore.adapters.sql.types import AmountSum, UTCDateTime

revision = "0007_customer_rfm"
down_revision = "0006_clv"
branch_labels = None
depends_on = None

#: The sum of amounts: exact NUMERIC on PostgreSQL, whole ten-thousandths on SQLite
#: (``types.AmountSum``: integer arithmetic, so the running sum equals the recomputed one).
POSTGRES_SUM = "sum(amount)"
SQLITE_UNITS = "CAST(round({amount} * 10000) AS INTEGER)"
SQLITE_SUM = f"sum({SQLITE_UNITS.format(amount='amount')})"


def aggregates(total: str) -> str:
    """Every customer's aggregates, from ``transactions`` (backfill and recompute)."""
    return (
        f"SELECT contact_id, count(*), min(occurred_at), max(occurred_at), {total}"
        " FROM transactions"
    )


COLUMNS = "customer_rfm (contact_id, frequency, first_at, last_at, monetary)"

SQLITE_RECOMPUTE = f"""
    DELETE FROM customer_rfm WHERE contact_id = {{row}}.contact_id
      AND NOT EXISTS (SELECT 1 FROM transactions WHERE contact_id = {{row}}.contact_id);
    INSERT INTO {COLUMNS}
      {aggregates(SQLITE_SUM)} WHERE contact_id = {{row}}.contact_id GROUP BY contact_id
      ON CONFLICT (contact_id) DO UPDATE SET frequency = excluded.frequency,
        first_at = excluded.first_at, last_at = excluded.last_at,
        monetary = excluded.monetary;"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER customer_rfm_after_insert AFTER INSERT ON transactions
    BEGIN
      INSERT INTO {COLUMNS}
        VALUES (NEW.contact_id, 1, NEW.occurred_at, NEW.occurred_at,
          {SQLITE_UNITS.format(amount="NEW.amount")})
        ON CONFLICT (contact_id) DO UPDATE SET frequency = frequency + 1,
          first_at = min(first_at, excluded.first_at),
          last_at = max(last_at, excluded.last_at),
          monetary = monetary + excluded.monetary;
    END""",
    f"""CREATE TRIGGER customer_rfm_after_delete AFTER DELETE ON transactions
    BEGIN{SQLITE_RECOMPUTE.format(row="OLD")}
    END""",
    f"""CREATE TRIGGER customer_rfm_after_update
    AFTER UPDATE OF contact_id, occurred_at, amount ON transactions
    BEGIN{SQLITE_RECOMPUTE.format(row="OLD")}{SQLITE_RECOMPUTE.format(row="NEW")}
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customer_rfm_after_update",
    "DROP TRIGGER IF EXISTS customer_rfm_after_delete",
    "DROP TRIGGER IF EXISTS customer_rfm_after_insert",
]

POSTGRES_TRIGGERS = [
    # the customers of ``ids`` recomputed from transactions (none left: row deleted)
    f"""CREATE FUNCTION customer_rfm_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
      DELETE FROM customer_rfm r WHERE r.contact_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM transactions x WHERE x.contact_id = r.contact_id);
      INSERT INTO {COLUMNS}
        {aggregates(POSTGRES_SUM)} WHERE contact_id = ANY(ids)
        GROUP BY contact_id ORDER BY contact_id
        ON CONFLICT (contact_id) DO UPDATE SET frequency = excluded.frequency,
          first_at = excluded.first_at, last_at = excluded.last_at,
          monetary = excluded.monetary;
    $$""",
    f"""CREATE FUNCTION customer_rfm_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO {COLUMNS}
        SELECT contact_id, count(*), min(occurred_at), max(occurred_at), sum(amount)
        FROM customer_rfm_new GROUP BY contact_id ORDER BY contact_id
        ON CONFLICT (contact_id) DO UPDATE SET
          frequency = customer_rfm.frequency + excluded.frequency,
          first_at = least(customer_rfm.first_at, excluded.first_at),
          last_at = greatest(customer_rfm.last_at, excluded.last_at),
          monetary = customer_rfm.monetary + excluded.monetary;
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION customer_rfm_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM customer_rfm_refresh(ARRAY(SELECT DISTINCT contact_id FROM customer_rfm_old));
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION customer_rfm_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM customer_rfm_refresh(ARRAY(
        SELECT contact_id FROM customer_rfm_old UNION SELECT contact_id FROM customer_rfm_new
      ));
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION customer_rfm_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM customer_rfm;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER customer_rfm_after_insert AFTER INSERT ON transactions
      REFERENCING NEW TABLE AS customer_rfm_new
      FOR EACH STATEMENT EXECUTE FUNCTION customer_rfm_add()""",
    """CREATE TRIGGER customer_rfm_after_delete AFTER DELETE ON transactions
      REFERENCING OLD TABLE AS customer_rfm_old
      FOR EACH STATEMENT EXECUTE FUNCTION customer_rfm_deleted()""",
    """CREATE TRIGGER customer_rfm_after_update AFTER UPDATE ON transactions
      REFERENCING OLD TABLE AS customer_rfm_old NEW TABLE AS customer_rfm_new
      FOR EACH STATEMENT EXECUTE FUNCTION customer_rfm_updated()""",
    """CREATE TRIGGER customer_rfm_after_truncate AFTER TRUNCATE ON transactions
      FOR EACH STATEMENT EXECUTE FUNCTION customer_rfm_truncated()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS customer_rfm_after_truncate ON transactions",
    "DROP TRIGGER IF EXISTS customer_rfm_after_update ON transactions",
    "DROP TRIGGER IF EXISTS customer_rfm_after_delete ON transactions",
    "DROP TRIGGER IF EXISTS customer_rfm_after_insert ON transactions",
    "DROP FUNCTION IF EXISTS customer_rfm_truncated()",
    "DROP FUNCTION IF EXISTS customer_rfm_updated()",
    "DROP FUNCTION IF EXISTS customer_rfm_deleted()",
    "DROP FUNCTION IF EXISTS customer_rfm_add()",
    "DROP FUNCTION IF EXISTS customer_rfm_refresh(uuid[])",
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "customer_rfm",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("monetary", AmountSum(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_customer_rfm")),
        comment=(
            "library: per-customer transaction count, first/last time and sum of amounts "
            "(any currency), kept by triggers on transactions (RFM, behaviour filters; "
            "ADR 0011)"
        ),
        sqlite_with_rowid=False,
    )
    if not _sqlite():  # no write may slip between the backfill and the triggers
        op.execute("LOCK TABLE transactions IN SHARE ROW EXCLUSIVE MODE")
    total = SQLITE_SUM if _sqlite() else POSTGRES_SUM
    op.execute(f"INSERT INTO {COLUMNS} {aggregates(total)} GROUP BY contact_id")
    for statement in SQLITE_TRIGGERS if _sqlite() else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DROP if _sqlite() else POSTGRES_DROP:
        op.execute(statement)
    op.drop_table("customer_rfm")

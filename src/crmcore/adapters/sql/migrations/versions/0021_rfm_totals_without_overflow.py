"""SQLite's RFM summary triggers add amounts without integer overflow.

The update and delete triggers of revision 0007 recompute a customer's summary with an
integer ``sum`` of whole ten-thousandths: past 2**63 (money allows up to 10^19 per
amount) SQLite fails the statement with "integer overflow", so changing or erasing such a
customer's purchases failed. They now add with ``total`` and cast back to an exact
integer below 2**53, a float beyond, as ``types.sqlite_amount_total`` does for the
code's own sums. PostgreSQL sums ``NUMERIC`` and is left as it is.

Revision ID: 0021_rfm_totals_without_overflow
Revises: 0020_facts_by_contact
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0021_rfm_totals_without_overflow"
down_revision = "0020_facts_by_contact"
branch_labels = None
depends_on = None

_UNITS = "round(amount * 10000)"
#: Frozen with the revision: 0007's sum, and ``sqlite_amount_total("amount")`` of now.
OLD_SUM = f"sum(CAST({_UNITS} AS INTEGER))"
NEW_SUM = (
    f"CASE WHEN count(amount) = 0 THEN NULL WHEN abs(total({_UNITS})) < {2**53}"
    f" THEN CAST(total({_UNITS}) AS INTEGER) ELSE total({_UNITS}) END"
)


def _recompute(row: str, total: str) -> str:
    return f"""
    DELETE FROM customer_rfm WHERE contact_id = {row}.contact_id
      AND NOT EXISTS (SELECT 1 FROM transactions WHERE contact_id = {row}.contact_id);
    INSERT INTO customer_rfm (contact_id, frequency, first_at, last_at, monetary)
      SELECT contact_id, count(*), min(occurred_at), max(occurred_at), {total}
      FROM transactions WHERE contact_id = {row}.contact_id GROUP BY contact_id
      ON CONFLICT (contact_id) DO UPDATE SET frequency = excluded.frequency,
        first_at = excluded.first_at, last_at = excluded.last_at,
        monetary = excluded.monetary;"""


def _triggers(total: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS customer_rfm_after_update")
    op.execute("DROP TRIGGER IF EXISTS customer_rfm_after_delete")
    op.execute(
        "CREATE TRIGGER customer_rfm_after_delete AFTER DELETE ON transactions"
        f" BEGIN{_recompute('OLD', total)}\n    END"
    )
    op.execute(
        "CREATE TRIGGER customer_rfm_after_update"
        " AFTER UPDATE OF contact_id, occurred_at, amount ON transactions"
        f" BEGIN{_recompute('OLD', total)}{_recompute('NEW', total)}\n    END"
    )


def upgrade() -> None:
    _triggers(NEW_SUM)


def downgrade() -> None:
    _triggers(OLD_SUM)

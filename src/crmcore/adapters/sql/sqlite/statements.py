"""The SQLite fast paths' hand-run statements, built from the tables of tables.py.

Every column a statement names is looked up in its table when this module is imported,
and an ``INSERT`` must write every column that needs a value: one the table fills with a
Python-side default (which only SQLAlchemy's own statements apply) or a ``NOT NULL``
column without a server default. A renamed, dropped or newly required column therefore
stops the import of the adapter with :class:`StatementDrift` instead of writing rows the
general path would not write. Which columns each statement writes is pinned against the
general path's row mappers by tests/unit/test_sqlite_statements.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Table

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.types import sqlite_amount_total
from crmcore.domain.facts import FactKind
from crmcore.domain.inbox import InboxStatus


class StatementDrift(ValueError):
    """A statement names a column its table lacks, or leaves out one it has to write."""


def columns(table: Table, *names: str) -> str:
    """``a, b, c``: the named columns of ``table``, each checked to exist."""
    unknown = [n for n in names if n not in table.c]
    if unknown:
        raise StatementDrift(f"{table.name} has no column {', '.join(unknown)}")
    return ", ".join(names)


def insert(
    table: Table,
    names: Sequence[str],
    *,
    constants: Mapping[str, str] | None = None,
    ignore_conflicts: bool = False,
) -> str:
    """``INSERT INTO table (names..., constants...) VALUES (?, ..., constants...)``.

    ``names`` are bound in order (``?``); ``constants`` maps columns to SQL literals.
    Raises :class:`StatementDrift` for an unknown or repeated column, and for a left-out
    column that needs a value (a Python-side default, or ``NOT NULL`` without a server
    default, other than an auto-incremented key)."""
    fixed = dict(constants or {})
    written = [*names, *fixed]
    if len(set(written)) != len(written):
        raise StatementDrift(f"{table.name}: a column is written twice in {written}")
    listed = columns(table, *written)
    for column in table.columns:
        if column.name in written:
            continue
        if column.default is not None or column.onupdate is not None:
            raise StatementDrift(
                f"{table.name}.{column.name} has a Python-side default: the statement must write it"
            )
        generated = column.primary_key and column.autoincrement is True
        if not column.nullable and column.server_default is None and not generated:
            raise StatementDrift(
                f"{table.name}.{column.name} is NOT NULL without a server default: the"
                " statement must write it"
            )
    marks = ", ".join(["?"] * len(names) + list(fixed.values()))
    sql = f"INSERT INTO {table.name} ({listed}) VALUES ({marks})"
    return f"{sql} ON CONFLICT DO NOTHING" if ignore_conflicts else sql


# -- transactions -------------------------------------------------------------------------

#: The rowid of the newest transaction (0 for none): where a statement's new rows begin.
LAST_TRANSACTION_ROWID = f"SELECT coalesce(max(rowid), 0) FROM {t.transactions.name}"
_rfm = t.customer_rfm.name
_RFM_COLUMNS = columns(t.customer_rfm, "contact_id", "frequency", "first_at", "last_at", "monetary")
#: The transactions past a rowid added to their customers' summaries, one upsert per
#: customer, in whole ten-thousandths (an integer sum past 2**63 turns to a float in
#: SQLite's ``+``, as ``sqlite_amount_total`` does past 2**53).
ADD_TO_RFM_SUMMARY = (
    f"INSERT INTO {_rfm} ({_RFM_COLUMNS})"
    f" SELECT {columns(t.transactions, 'contact_id')}, count(*), min(occurred_at),"
    f" max(occurred_at), {sqlite_amount_total('amount')}"
    f" FROM {t.transactions.name} WHERE rowid > ? GROUP BY contact_id"
    " ON CONFLICT (contact_id) DO UPDATE SET frequency = frequency + excluded.frequency,"
    " first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at),"
    " monetary = monetary + excluded.monetary"
)

# -- pipeline facts -----------------------------------------------------------------------

#: The columns of :func:`~crmcore.adapters.sql.event_processing.fact_row`, in the order the
#: fact reads return them.
FACT_COLUMNS = ("contact_id", "event_id", "kind", "name", "value", "occurred_at")
_FACT_COLUMNS = columns(t.pipeline_facts, *FACT_COLUMNS)
_ENGAGEMENT, _PURCHASE = FactKind.ENGAGEMENT.value, FactKind.PURCHASE.value
_LOYALTY, _SENTIMENT = FactKind.LOYALTY.value, FactKind.SENTIMENT.value
_FACTS = t.pipeline_facts.name
#: A contact's facts in the facts' order, latest first (ties broken as ``Fact.order``).
_LATEST_FIRST = "ORDER BY occurred_at DESC, event_id DESC, kind DESC, name DESC LIMIT 1"
#: The terms of the partial indexes ``ix_pipeline_facts_nps`` and ``_sentiment``, written
#: as the indexes' own ``WHERE`` so that SQLite sees it can use them.
_NPS = f"kind = '{_LOYALTY}' AND name = 'nps'"
_VALID_NPS = f"{_NPS} AND typeof(value) = 'integer' AND value BETWEEN 0 AND 10"
_SENTIMENT_SET = f"kind = '{_SENTIMENT}' AND value IS NOT NULL"
_ACTIVITY = f"kind IN ('{_ENGAGEMENT}', '{_PURCHASE}')"
_IDS = "WITH ids(contact_id) AS (SELECT value FROM json_each(?1))"


def _latest_each(where: str) -> str:
    """Per contact of ``ids``, the rowid of their latest fact matching ``where``: one
    backward index scan each, however many facts they have."""
    return (
        f"SELECT (SELECT f.rowid FROM {_FACTS} f WHERE f.contact_id = ids.contact_id"
        f" AND {where} {_LATEST_FIRST}) FROM ids"
    )


#: The facts health reads (``health_facts``): per contact the latest activity (engagement
#: or purchase), valid NPS answer and sentiment, by the facts' order, plus the engagement
#: since the window's start. Parameters: contact ids (a JSON array), now, the window start.
#: Each part is bounded by the window or one index scan, not by the contact's history.
HEALTH_FACTS_OF = (
    f"{_IDS} SELECT {_FACT_COLUMNS} FROM {_FACTS}"
    " WHERE contact_id IN (SELECT contact_id FROM ids)"
    f" AND kind = '{_ENGAGEMENT}' AND occurred_at >= ?3 AND occurred_at <= ?2"
    f" UNION ALL SELECT {_FACT_COLUMNS} FROM {_FACTS} WHERE rowid IN ("
    f"{_latest_each(_ACTIVITY + ' AND occurred_at <= ?2')}"
    f" UNION ALL {_latest_each(_VALID_NPS + ' AND occurred_at <= ?2')}"
    f" UNION ALL {_latest_each(_SENTIMENT_SET + ' AND occurred_at <= ?2')})"
    # the latest activity is read once: the window part has it when it is engagement
    f" AND NOT (kind = '{_ENGAGEMENT}' AND occurred_at >= ?3)"
)
#: Each contact's latest ``loyalty``/``nps`` fact, whatever its value. Parameter: the
#: contact ids (a JSON array).
LATEST_NPS_OF = f"{_IDS} SELECT {_FACT_COLUMNS} FROM {_FACTS} WHERE rowid IN ({_latest_each(_NPS)})"

# -- event inbox --------------------------------------------------------------------------

_inbox = t.event_inbox
_PENDING = InboxStatus.PENDING.value
_DONE = InboxStatus.DONE.value

#: The columns an accepted (pending, validated) entry binds, in order; the rest of the
#: general row (``_row`` in inbox.py) are :data:`ACCEPT_CONSTANTS` or stay ``NULL``.
ACCEPT_COLUMNS = (
    "event_id",
    "type",
    "payload",
    "occurred_at",
    "order_at",
    "received_at",
    "next_attempt_at",
    "customer_key",
)
ACCEPT_CONSTANTS = {"validated": "1", "status": f"'{_PENDING}'", "attempts": "0", "version": "1"}
ACCEPT_INBOX = insert(_inbox, ACCEPT_COLUMNS, constants=ACCEPT_CONSTANTS, ignore_conflicts=True)

#: Taken entries marked done, each at the version it was read.
DONE = (
    f"UPDATE {_inbox.name} SET {columns(_inbox, 'status')} = '{_DONE}', attempts = ?,"
    f" {columns(_inbox, 'processed_at')} = ?, {columns(_inbox, 'last_error')} = NULL,"
    f" {columns(_inbox, 'claimed_by')} = NULL, {columns(_inbox, 'claim_token')} = NULL,"
    f" {columns(_inbox, 'lease_until')} = NULL, version = version + 1"
    " WHERE event_id = ? AND version = ?"
)

#: Every statement, by name (the tests prepare each against the tables).
ALL = {
    "LAST_TRANSACTION_ROWID": LAST_TRANSACTION_ROWID,
    "ADD_TO_RFM_SUMMARY": ADD_TO_RFM_SUMMARY,
    "HEALTH_FACTS_OF": HEALTH_FACTS_OF,
    "LATEST_NPS_OF": LATEST_NPS_OF,
    "ACCEPT_INBOX": ACCEPT_INBOX,
    "DONE": DONE,
}

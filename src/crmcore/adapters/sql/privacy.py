"""Retention purges and personal-data lookups in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, not_, or_, select

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.activity import ActivityType
from crmcore.domain.ids import ContactId
from crmcore.domain.retention import RetentionCutoffs
from crmcore.ports.privacy import PURGED_TABLES, AuditEntry


def _json_ready(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SqlRetention:
    """One ``DELETE`` (or ``COUNT``) per table, in the caller's transaction."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _conditions(
        self, cutoffs: RetentionCutoffs
    ) -> dict[str, tuple[Table, ColumnElement[bool]]]:
        lead, act, dlv, hs = t.leads.c, t.activities.c, t.campaign_deliveries.c, t.health_scores.c
        h2 = t.health_scores.alias("h2")
        latest = (
            select(func.max(h2.c.computed_at)).where(h2.c.user_id == hs.user_id).scalar_subquery()
        )
        return {
            "leads": (
                t.leads,
                and_(
                    lead.updated_at < cutoffs.leads_inactive_before,
                    or_(
                        lead.last_engaged_at.is_(None),
                        lead.last_engaged_at < cutoffs.leads_inactive_before,
                    ),
                ),
            ),
            "activities": (
                t.activities,
                and_(
                    act.created_at < cutoffs.activities_before,
                    not_(and_(act.type == ActivityType.TASK.value, act.completed_at.is_(None))),
                ),
            ),
            "campaign_deliveries": (t.campaign_deliveries, dlv.at < cutoffs.campaign_detail_before),
            # history only: the latest score of each person stays, however old
            "health_scores": (
                t.health_scores,
                and_(hs.computed_at < cutoffs.health_history_before, hs.computed_at < latest),
            ),
        }

    def purge(self, cutoffs: RetentionCutoffs, *, dry_run: bool) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for name, (table, condition) in self._conditions(cutoffs).items():
            if dry_run:
                counts[name] = int(
                    self._s.scalar(select(func.count()).select_from(table).where(condition)) or 0
                )
            else:
                run = partial(self._s.conn.execute, delete(table).where(condition))
                counts[name] = int(self._s.write(run, table=table).rowcount)
        return {name: counts[name] for name in PURGED_TABLES}


class SqlPersonalData:
    """Rows of other tables that concern given contacts; the audit log."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def records_of(self, contact_ids: Sequence[ContactId]) -> Mapping[str, Sequence[Any]]:
        ids = list(contact_ids)
        out: dict[str, list[dict[str, Any]]] = {}
        for table in (t.deals, t.transactions, t.health_scores, t.campaign_deliveries):
            rows: list[dict[str, Any]] = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                stmt = select(table).where(table.c.contact_id.in_(chunk)).order_by(table.c.id)
                rows.extend({k: _json_ready(v) for k, v in r.items()} for r in self._s.read(stmt))
            out[table.name] = rows
        return out

    def audit(self, entry: AuditEntry) -> None:
        values = {
            "id": entry.id,
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "subject": entry.subject,
            "detail": dict(entry.detail),
        }
        conn = self._s.conn
        self._s.write(lambda: conn.execute(insert(t.audit_log), values), table=t.audit_log)

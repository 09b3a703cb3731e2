"""SQL read models of the analytics reports (C11): set-based queries, grouped in the
database where the dialects agree (months, counts, exact sums); JSON values of the
pipeline's facts are decoded here."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, case, delete, distinct, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.sql.types import AmountTotal, compiled_by_dialect
from crmcore.domain.alerts import Alert, AlertKey, Measurement, Severity
from crmcore.domain.attribution import Conversion, Touch
from crmcore.domain.cohorts import CohortBy, CohortCell, CohortPeriod, CohortSize
from crmcore.domain.funnel_metrics import Entry
from crmcore.domain.ids import ContactId, DealId
from crmcore.domain.lead_metrics import LeadSourceStats
from crmcore.domain.saas import BillingMonth

#: Billing facts that bring money in, and the one that gives it back.
PAYMENTS = ("payment", "subscription_renewed")
REFUNDS = ("refund",)


class MonthOf(FunctionElement[str]):
    """The UTC month (``YYYY-MM``) of an instant column."""

    type = String()
    name = "month_of"
    inherit_cache = True


compiled_by_dialect(
    MonthOf, "to_char(({0}) AT TIME ZONE 'UTC', 'YYYY-MM')", "strftime('%Y-%m', {0})"
)


class WeekOf(FunctionElement[str]):
    """The UTC week of an instant column, as the date of its Monday (``YYYY-MM-DD``)."""

    type = String()
    name = "week_of"
    inherit_cache = True


# SQLite: 'weekday 0' moves forward to the next Sunday (or stays on one); its Monday is 6 back
compiled_by_dialect(
    WeekOf,
    "to_char(date_trunc('week', ({0}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "date({0}, 'weekday 0', '-6 days')",
)


def _period_of(column: Any, period: CohortPeriod) -> FunctionElement[str]:
    return WeekOf(column) if period is CohortPeriod.WEEK else MonthOf(column)


def _within(
    column: Any, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


def _json(value: Any) -> Any:
    # SQLite's NUMERIC affinity of a JSON column may hand numbers back already decoded
    return json.loads(value) if isinstance(value, str) else value


def _amount(value: Any) -> Decimal:
    decoded = _json(value)
    if isinstance(decoded, dict) and "amount" in decoded:
        return Decimal(str(decoded["amount"]))
    return Decimal(0)


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw)


class SqlAnalytics:
    """:class:`crmcore.ports.analytics.AnalyticsQueries` on SQLite and PostgreSQL."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def touches(self, *, since: datetime | None, until: datetime | None) -> Sequence[Touch]:
        f = t.pipeline_facts.c
        rows = self._s.read(
            select(f.contact_id, f.name, f.occurred_at)
            .where(f.kind == "engagement", *_within(f.occurred_at, since, until))
            .order_by(f.contact_id, f.occurred_at, f.event_id)
        )
        return [
            Touch(contact_id=ContactId(r["contact_id"]), channel=r["name"], at=r["occurred_at"])
            for r in rows
        ]

    def conversions(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[Conversion]:
        f = t.pipeline_facts.c
        rows = self._s.read(
            select(f.contact_id, f.occurred_at, f.value)
            .where(f.kind == "purchase", *_within(f.occurred_at, since, until))
            .order_by(f.contact_id, f.occurred_at, f.event_id)
        )
        return [
            Conversion(
                contact_id=ContactId(r["contact_id"]),
                at=r["occurred_at"],
                value=float(_amount(r["value"])),
            )
            for r in rows
        ]

    def funnel_histories(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[Sequence[Entry]]:
        c = t.contacts.c
        rows = self._s.read(select(c.funnel_history).where(c.archived.is_(False)).order_by(c.id))
        out: list[list[Entry]] = []
        for r in rows:
            history = [
                Entry(stage=e["stage"], at=_time(e["at"])) for e in _json(r["funnel_history"]) or ()
            ]
            if not history:
                continue
            began = history[0].at
            if (since is None or began >= since) and (until is None or began < until):
                out.append(history)
        return out

    def _first_purchases(self) -> Any:
        tx = t.transactions.c
        return (
            select(tx.contact_id.label("contact_id"), func.min(tx.occurred_at).label("began"))
            .group_by(tx.contact_id)
            .subquery("first_purchase")
        )

    def _cohort_source(self, by: CohortBy) -> Any:
        if by is CohortBy.SIGNUP:
            c = t.contacts.c
            return (
                select(c.id.label("contact_id"), c.created_at.label("began"))
                .where(c.archived.is_(False))
                .subquery("signup")
            )
        return self._first_purchases()

    def cohort_sizes(
        self,
        by: CohortBy,
        *,
        since: datetime | None,
        until: datetime | None,
        period: CohortPeriod = CohortPeriod.MONTH,
    ) -> Sequence[CohortSize]:
        source = self._cohort_source(by)
        month = _period_of(source.c.began, period)
        stmt = (
            select(month.label("cohort"), func.count().label("customers"))
            .where(*_within(source.c.began, since, until))
            .group_by(month)
            .order_by(month)
        )
        return [
            CohortSize(cohort=r["cohort"], customers=int(r["customers"]))
            for r in self._s.read(stmt)
        ]

    def cohort_cells(
        self,
        by: CohortBy,
        *,
        since: datetime | None,
        until: datetime | None,
        period: CohortPeriod = CohortPeriod.MONTH,
    ) -> Sequence[CohortCell]:
        source = self._cohort_source(by)
        tx = t.transactions.c
        cohort = _period_of(source.c.began, period)
        bought = _period_of(tx.occurred_at, period)
        stmt = (
            select(
                cohort.label("cohort"),
                bought.label("period"),
                func.count(distinct(tx.contact_id)).label("customers"),
                AmountTotal(tx.amount).label("revenue"),
            )
            .select_from(t.transactions.join(source, source.c.contact_id == tx.contact_id))
            .where(*_within(source.c.began, since, until), *_within(tx.occurred_at, since, until))
            .group_by(cohort, bought)
            .order_by(cohort, bought)
        )
        return [
            CohortCell(
                cohort=r["cohort"],
                period=r["period"],
                customers=int(r["customers"]),
                revenue=r["revenue"] if r["revenue"] is not None else Decimal(0),
            )
            for r in self._s.read(stmt)
        ]

    def billing_months(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[BillingMonth]:
        f = t.pipeline_facts.c
        month = MonthOf(f.occurred_at)
        rows = self._s.read(
            select(f.contact_id, month.label("month"), f.name, f.value).where(
                f.kind == "billing",
                f.name.in_(PAYMENTS + REFUNDS),
                *_within(f.occurred_at, since, until),
            )
        )
        sums: dict[tuple[UUID, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        for r in rows:
            cell = sums[(r["contact_id"], r["month"])]
            cell[r["name"] in REFUNDS] += abs(_amount(r["value"]))
        return [
            BillingMonth(contact_id=contact, month=month, paid=paid, refunded=refunded)
            for (contact, month), (paid, refunded) in sorted(sums.items())
        ]

    def nps_scores(self, *, since: datetime | None, until: datetime | None) -> Sequence[int]:
        f = t.pipeline_facts.c
        rows = self._s.read(
            select(f.value).where(
                f.kind == "loyalty", f.name == "nps", *_within(f.occurred_at, since, until)
            )
        )
        scores = [_json(r["value"]) for r in rows]
        return [
            int(s)
            for s in scores
            if isinstance(s, int | float) and not isinstance(s, bool) and 0 <= s <= 10
        ]

    def lead_sources(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[LeadSourceStats]:
        lead = t.leads.c

        def count_of(status: str) -> Any:
            return func.sum(case((lead.status == status, 1), else_=0))

        rows = self._s.read(
            select(
                lead.source,
                func.count().label("leads"),
                count_of("qualified").label("qualified"),
                count_of("converted").label("converted"),
                func.sum(lead.score).label("score_total"),
            )
            .where(*_within(lead.created_at, since, until))
            .group_by(lead.source)
        )
        return [
            LeadSourceStats(
                source=r["source"],
                leads=int(r["leads"]),
                qualified=int(r["qualified"] or 0),
                converted=int(r["converted"] or 0),
                score_total=int(r["score_total"] or 0),
            )
            for r in rows
        ]

    def deal_lead_sources(self) -> Mapping[DealId, str]:
        d, c, lead = t.deals.c, t.contacts.c, t.leads.c
        rows = self._s.read(
            select(d.id, lead.source).select_from(
                t.deals.join(t.contacts, c.id == d.contact_id).join(
                    t.leads, lead.id == c.source_lead_id
                )
            )
        )
        return {DealId(r["id"]): r["source"] for r in rows}

    def event_count(self, event_type: str, *, since: datetime) -> int:
        o = t.outbox.c
        stmt = select(func.count()).where(o.type == event_type, o.occurred_at >= since)
        return int(self._s.scalar(stmt) or 0)

    def failed_input_count(self, *, since: datetime) -> int:
        f = t.failed_events.c
        stmt = select(func.count()).where(f.status == "open", f.received_at >= since)
        return int(self._s.scalar(stmt) or 0)

    def delivery_counts(self, *, since: datetime) -> tuple[int, int]:
        d = t.campaign_deliveries.c
        failed = func.sum(case((d.status == "failed", 1), else_=0))
        row = self._s.read(
            select(func.count().label("sent"), failed.label("failed")).where(d.at >= since)
        )[0]
        return int(row["sent"] or 0), int(row["failed"] or 0)


def _alert(row: Any) -> Alert:
    return Alert(
        id=row["id"],
        key=AlertKey(row["key"]),
        severity=Severity(row["severity"]),
        message=row["message"],
        value=row["value"],
        raised_at=row["raised_at"],
        cleared_at=row["cleared_at"],
        version=row["version"],
    )


class SqlAlertLog:
    """:class:`crmcore.ports.alerts.AlertLog` in the ``alerts`` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def open(self) -> Sequence[Alert]:
        a = t.alerts.c
        rows = self._s.read(
            select(t.alerts).where(a.cleared_at.is_(None)).order_by(a.raised_at, a.id)
        )
        return [_alert(r) for r in rows]

    def add_many(self, alerts: Sequence[Alert]) -> Sequence[Alert]:
        # insert-if-absent against the partial unique index of open alerts: a concurrent
        # check that opened the same key first (committed, or about to: PostgreSQL waits
        # for it) makes this insert do nothing
        dialect_insert = sqlite_insert if self._s.sqlite else pg_insert
        stored = []
        for x in alerts:
            stmt = (
                dialect_insert(t.alerts)
                .values(
                    id=x.id,
                    key=x.key.value,
                    severity=x.severity.value,
                    message=x.message,
                    value=x.value,
                    raised_at=x.raised_at,
                    cleared_at=x.cleared_at,
                    version=1,
                )
                .on_conflict_do_nothing(
                    index_elements=["key"], index_where=t.alerts.c.cleared_at.is_(None)
                )
                .returning(t.alerts.c.id)
            )
            done = self._s.write(partial(self._s.conn.execute, stmt), table=t.alerts)
            if done.first() is not None:
                stored.append(x)
        return stored

    def close_many(self, alerts: Sequence[Alert]) -> Sequence[Alert]:
        a = t.alerts.c
        closed = []
        for x in alerts:
            stmt = (
                update(t.alerts)
                .where(a.id == x.id, a.cleared_at.is_(None))
                .values(cleared_at=x.cleared_at, version=a.version + 1)
            )
            done = self._s.write(partial(self._s.conn.execute, stmt), table=t.alerts)
            if done.rowcount == 1:
                closed.append(x)
        return closed

    def list(self, *, include_cleared: bool = False, limit: int = 100) -> Sequence[Alert]:
        a = t.alerts.c
        stmt = select(t.alerts).order_by(a.raised_at.desc(), a.id.desc()).limit(limit)
        if not include_cleared:
            stmt = stmt.where(a.cleared_at.is_(None))
        return [_alert(r) for r in self._s.read(stmt)]


class SqlMeasurementLog:
    """:class:`crmcore.ports.alerts.MeasurementLog` in the ``measurements`` table."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def record_many(self, samples: Sequence[Measurement]) -> None:
        if not samples:
            return
        rows = [
            {"id": m.id, "name": m.name, "at": m.at, "value": m.value, "detail": m.detail}
            for m in samples
        ]
        self._s.write(
            lambda: self._s.conn.execute(insert(t.measurements), rows), table=t.measurements
        )

    def latest(self, name: str, *, since: datetime) -> Measurement | None:
        m = t.measurements.c
        rows = self._s.read(
            select(m.id, m.name, m.at, m.value, m.detail)
            .where(m.name == name, m.at >= since)
            .order_by(m.at.desc(), m.id.desc())
            .limit(1)
        )
        if not rows:
            return None
        r = rows[0]
        return Measurement(
            id=r["id"], name=r["name"], at=r["at"], value=r["value"], detail=r["detail"]
        )

    def prune(self, *, before: datetime) -> int:
        m = t.measurements.c
        done = self._s.write(
            partial(self._s.conn.execute, delete(t.measurements).where(m.at < before)),
            table=t.measurements,
        )
        return int(done.rowcount)

"""The analytics read models over the memory database (the same answers as SQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crmcore.adapters.memory.database import HeldRows
from crmcore.adapters.memory.database import Transaction as StagedTransaction
from crmcore.domain.alerts import Alert, Measurement
from crmcore.domain.attribution import Conversion, Touch
from crmcore.domain.cohorts import CohortBy, CohortCell, CohortPeriod, CohortSize, period_of
from crmcore.domain.funnel_metrics import Entry
from crmcore.domain.ids import ContactId, DealId
from crmcore.domain.lead_metrics import LeadSourceStats
from crmcore.domain.money import Money
from crmcore.domain.saas import BillingMonth

PAYMENTS = ("payment", "subscription_renewed")
REFUNDS = ("refund",)


def _in(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def month_of(at: datetime) -> str:
    """The UTC month of an instant as ``YYYY-MM``."""
    return at.astimezone(UTC).strftime("%Y-%m")


class MemoryAnalytics:
    """:class:`crmcore.ports.analytics.AnalyticsQueries` in memory."""

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx

    def _facts(self, kind: str, since: datetime | None, until: datetime | None) -> list[Any]:
        rows = [
            r for r in self._tx.rows("facts") if r.kind == kind and _in(r.occurred_at, since, until)
        ]
        rows.sort(key=lambda r: (r.contact_id, r.occurred_at, r.event_id))
        return rows

    def touches(self, *, since: datetime | None, until: datetime | None) -> Sequence[Touch]:
        return [
            Touch(contact_id=r.contact_id, channel=r.name, at=r.occurred_at)
            for r in self._facts("engagement", since, until)
        ]

    def conversions(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[Conversion]:
        return [
            Conversion(
                contact_id=r.contact_id,
                at=r.occurred_at,
                value=float(r.value.amount) if isinstance(r.value, Money) else 0.0,
            )
            for r in self._facts("purchase", since, until)
        ]

    def funnel_histories(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[Sequence[Entry]]:
        out = []
        for contact in sorted(self._tx.rows("contacts"), key=lambda c: c.id):
            history = [Entry(stage=e.stage.value, at=e.at) for e in contact.funnel.history]
            if not contact.archived and history and _in(history[0].at, since, until):
                out.append(history)
        return out

    def _began(self, by: CohortBy) -> dict[UUID, datetime]:
        if by is CohortBy.SIGNUP:
            return {c.id: c.created_at for c in self._tx.rows("contacts") if not c.archived}
        first: dict[UUID, datetime] = {}
        for tr in self._tx.rows("transactions"):
            known = first.get(tr.customer)
            if known is None or tr.occurred_at < known:
                first[tr.customer] = tr.occurred_at
        return first

    def cohort_sizes(
        self,
        by: CohortBy,
        *,
        since: datetime | None,
        until: datetime | None,
        period: CohortPeriod = CohortPeriod.MONTH,
    ) -> Sequence[CohortSize]:
        sizes: dict[str, int] = defaultdict(int)
        for at in self._began(by).values():
            if _in(at, since, until):
                sizes[period_of(at, period)] += 1
        return [CohortSize(cohort=m, customers=n) for m, n in sorted(sizes.items())]

    def cohort_cells(
        self,
        by: CohortBy,
        *,
        since: datetime | None,
        until: datetime | None,
        period: CohortPeriod = CohortPeriod.MONTH,
    ) -> Sequence[CohortCell]:
        began = self._began(by)
        buyers: dict[tuple[str, str], set[UUID]] = defaultdict(set)
        revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for tr in self._tx.rows("transactions"):
            start = began.get(tr.customer)
            if start is None or not _in(start, since, until):
                continue
            if not _in(tr.occurred_at, since, until):
                continue
            key = (period_of(start, period), period_of(tr.occurred_at, period))
            buyers[key].add(tr.customer)
            revenue[key] += tr.amount.amount
        return [
            CohortCell(cohort=c, period=p, customers=len(buyers[(c, p)]), revenue=revenue[(c, p)])
            for c, p in sorted(buyers)
        ]

    def billing_months(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[BillingMonth]:
        sums: dict[tuple[UUID, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        for r in self._facts("billing", since, until):
            if r.name not in PAYMENTS + REFUNDS:
                continue
            amount = abs(r.value.amount) if isinstance(r.value, Money) else Decimal(0)
            sums[(r.contact_id, month_of(r.occurred_at))][r.name in REFUNDS] += amount
        return [
            BillingMonth(contact_id=ContactId(c), month=m, paid=p, refunded=f)
            for (c, m), (p, f) in sorted(sums.items())
        ]

    def nps_scores(self, *, since: datetime | None, until: datetime | None) -> Sequence[int]:
        values: Iterable[Any] = (
            r.value for r in self._facts("loyalty", since, until) if r.name == "nps"
        )
        return [
            int(v)
            for v in values
            if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 10
        ]

    def lead_sources(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[LeadSourceStats]:
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for lead in self._tx.rows("leads"):
            if _in(lead.created_at, since, until):
                row = stats[lead.source.value]
                row[0] += 1
                row[1] += lead.status.value == "qualified"
                row[2] += lead.status.value == "converted"
                row[3] += lead.score
        return [
            LeadSourceStats(source=s, leads=n, qualified=q, converted=c, score_total=total)
            for s, (n, q, c, total) in stats.items()
        ]

    def deal_lead_sources(self) -> Mapping[DealId, str]:
        contacts = {c.id: c for c in self._tx.rows("contacts")}
        leads = {lead.id: lead for lead in self._tx.rows("leads")}
        out: dict[DealId, str] = {}
        for deal in self._tx.rows("deals"):
            contact = contacts.get(deal.contact_id)
            lead = leads.get(contact.source_lead_id) if contact is not None else None
            if lead is not None:
                out[deal.id] = lead.source.value
        return out

    def event_count(self, event_type: str, *, since: datetime) -> int:
        stored = [row.envelope for row in self._tx.db.outbox]
        return sum(
            1
            for e in [*stored, *self._tx.outbox]
            if e.type == event_type and e.occurred_at >= since
        )

    def failed_input_count(self, *, since: datetime) -> int:
        return sum(
            1
            for r in self._tx.rows("failed_events")
            if r.status == "open" and r.received_at >= since
        )

    def delivery_counts(self, *, since: datetime) -> tuple[int, int]:
        # the memory queue keeps each delivery in a row beside its engagement
        rows = [r.delivery for r in self._tx.rows("campaign_deliveries") if r.delivery.at >= since]
        return len(rows), sum(1 for r in rows if r.status.value == "failed")


class MemoryAlertLog:
    """:class:`crmcore.ports.alerts.AlertLog` in memory."""

    table = "alerts"

    def __init__(self, tx: StagedTransaction) -> None:
        self._tx = tx

    def open(self) -> Sequence[Alert]:
        rows = [a for a in self._tx.rows(self.table) if a.cleared_at is None]
        return sorted(rows, key=lambda a: (a.raised_at, a.id))

    def add_many(self, alerts: Sequence[Alert]) -> Sequence[Alert]:
        # insert-if-absent; the unique key of open alerts (memory database) fails the
        # commit of a check that raced another one past this test
        stored = []
        for alert in alerts:
            if any(a.key is alert.key for a in self.open()):
                continue
            self._tx.add(self.table, alert)
            stored.append(alert)
        return stored

    def close_many(self, alerts: Sequence[Alert]) -> Sequence[Alert]:
        closed = []
        for alert in alerts:
            current = self._tx.get(self.table, alert.id)
            if current is None or current.cleared_at is not None:
                continue
            self._tx.save(self.table, alert)
            closed.append(alert)
        return closed

    def list(self, *, include_cleared: bool = False, limit: int = 100) -> Sequence[Alert]:
        rows = [a for a in self._tx.rows(self.table) if include_cleared or a.cleared_at is None]
        rows.sort(key=lambda a: (a.raised_at, a.id), reverse=True)
        return rows[:limit]


class MemoryMeasurementLog:
    """:class:`crmcore.ports.alerts.MeasurementLog` in memory."""

    def __init__(self, tx: StagedTransaction) -> None:
        self._held = HeldRows[Measurement](tx, "measurements")

    def record_many(self, samples: Sequence[Measurement]) -> None:
        for m in samples:
            self._held.add(m.id, m)

    def latest(self, name: str, *, since: datetime) -> Measurement | None:
        mine = [m for m in self._held.values() if m.name == name and m.at >= since]
        return max(mine, key=lambda m: (m.at, m.id), default=None)

    def prune(self, *, before: datetime) -> int:
        return self._held.delete([m.id for m in self._held.values() if m.at < before])

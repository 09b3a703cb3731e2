"""Ports of the analytics reports (C11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from crmcore.domain.attribution import (
    DEFAULT_HALF_LIFE,
    Conversion,
    Credit,
    Model,
    PathRow,
    Touch,
)
from crmcore.domain.cohorts import CohortBy, CohortCell, CohortPeriod, CohortSize
from crmcore.domain.funnel_metrics import Entry
from crmcore.domain.ids import DealId
from crmcore.domain.lead_metrics import LeadSourceStats
from crmcore.domain.saas import BillingMonth


class AttributionEngine(Protocol):
    """Credits channels with conversions under an attribution model.

    Every engine gives what :func:`crmcore.domain.attribution.attribute` defines (up to
    floating-point rounding); they differ in speed.
    """

    def attribute(
        self, paths: Sequence[PathRow], model: Model, *, half_life: float = DEFAULT_HALF_LIFE
    ) -> list[Credit]:
        """Credits per channel, sorted by channel."""
        ...


class PathsReader(Protocol):
    """Reads a paths file's text in bulk: the same credits as the general reader's rows,
    faster; only for the plain case."""

    def read(self, text: str) -> Sequence[PathRow] | None:
        """The paths of a paths CSV (header ``path,total_conversions,
        total_conversion_value,total_null``), lines with the same path added up; None
        when the text is not the plain case (the general reader then reads it)."""
        ...


class AnalyticsQueries(Protocol):
    """The read models of the reports, computed where the data is (set-based in SQL).

    ``since``/``until`` bound the instants read: ``since <= at < until``; None is open.
    """

    def touches(self, *, since: datetime | None, until: datetime | None) -> Sequence[Touch]:
        """Engagement facts as touches (the engagement kind is the channel), by time."""
        ...

    def conversions(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[Conversion]:
        """Purchase facts as conversions worth their amount."""
        ...

    def funnel_histories(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[Sequence[Entry]]:
        """The b2c funnel history of every contact whose journey began in the window."""
        ...

    def cohort_sizes(
        self,
        by: CohortBy,
        *,
        since: datetime | None,
        until: datetime | None,
        period: CohortPeriod = CohortPeriod.MONTH,
    ) -> Sequence[CohortSize]:
        """Customers per cohort period (signup: contacts created; first purchase: the
        period of their first transaction), for cohorts that began in the window; periods
        labelled as :func:`crmcore.domain.cohorts.period_of` does."""
        ...

    def cohort_cells(
        self,
        by: CohortBy,
        *,
        since: datetime | None,
        until: datetime | None,
        period: CohortPeriod = CohortPeriod.MONTH,
    ) -> Sequence[CohortCell]:
        """Per cohort and period of purchase: buying customers and revenue (transactions
        in the window, of cohorts that began in it)."""
        ...

    def billing_months(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[BillingMonth]:
        """Payments and refunds per customer and month (billing facts)."""
        ...

    def nps_scores(self, *, since: datetime | None, until: datetime | None) -> Sequence[int]:
        """Every NPS answer (0-10) given in the window."""
        ...

    def lead_sources(
        self, *, since: datetime | None, until: datetime | None
    ) -> Sequence[LeadSourceStats]:
        """Per source of the leads captured in the window (sources with leads only)."""
        ...

    def deal_lead_sources(self) -> Mapping[DealId, str]:
        """The source of the lead each deal's contact was converted from (deals whose
        contact came from a lead only)."""
        ...

    def event_count(self, event_type: str, *, since: datetime) -> int:
        """How many events of ``event_type`` were recorded (outbox) since ``since``."""
        ...

    def failed_input_count(self, *, since: datetime) -> int:
        """Incoming events refused since ``since`` and still open."""
        ...

    def delivery_counts(self, *, since: datetime) -> tuple[int, int]:
        """Campaign deliveries since ``since``: all of them, and the failed ones."""
        ...

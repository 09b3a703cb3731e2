"""Typed bodies of the campaign and analytics endpoints (``/crm/campaigns``,
``/crm/metrics/...``): the OpenAPI document is generated from these. Field names are
those of ``crm campaigns`` and ``crm report --format json``; money is a decimal string."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from crmcore.app.http.models import Strict
from crmcore.domain.abtest import DEFAULT_LEVEL, DEFAULT_MIN_SAMPLE, DEFAULT_TEST_SHARE
from crmcore.domain.campaign import CampaignChannel, CampaignStatus

# -- campaigns -------------------------------------------------------------------------


class AbRuleIn(Strict):
    """How an A/B test between variants is decided."""

    test_share: float = Field(default=DEFAULT_TEST_SHARE, gt=0, le=1)
    min_sample: int = Field(default=DEFAULT_MIN_SAMPLE, ge=1, le=1_000_000)
    level: float = Field(default=DEFAULT_LEVEL, gt=0, lt=1)
    metric: Literal["opened", "clicked", "converted"] = "clicked"


class CampaignIn(Strict):
    """A draft campaign (``crm campaigns create``)."""

    name: str = Field(min_length=1, max_length=200)
    template: str = Field(min_length=1, max_length=100, description="The template of variant A.")
    segment: str = Field(
        min_length=1, max_length=100, description="A saved segment's name or an RFM segment."
    )
    channels: list[CampaignChannel] | None = Field(default=None, max_length=10)
    variants: dict[str, str] | None = Field(
        default=None, max_length=10, description="A/B variants: name to template."
    )
    kind: str = Field(default="broadcast", min_length=1, max_length=40)
    ab: AbRuleIn | None = None


class CampaignSchedule(Strict):
    """When a campaign starts (now when absent); it must carry its UTC offset."""

    at: datetime | None = None


class CampaignOut(BaseModel):
    """A campaign."""

    id: UUID
    name: str
    kind: str
    status: CampaignStatus
    segment: str
    channels: list[CampaignChannel]
    variants: dict[str, str]
    pause_reason: str | None
    winner: str | None
    scheduled_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class VariantStats(BaseModel):
    """One A/B variant: its template, deliveries sent and the compared engagement."""

    template: str
    sent: int
    engaged: int


class CampaignStatsOut(BaseModel):
    """A campaign's numbers (``crm campaigns stats``)."""

    id: UUID
    name: str
    status: CampaignStatus
    pause_reason: str | None
    planned: int
    pending: int
    sent: int
    failed: int
    suppressed: int
    unsubscribed: int
    opened: int
    clicked: int
    converted: int
    held: int
    winner: str | None
    metric: str
    variants: dict[str, VariantStats]


# -- metrics ---------------------------------------------------------------------------


class StageOut(BaseModel):
    """One funnel stage; durations in hours."""

    stage: str
    entered: int
    reached: int
    conversion_to_next: float | None
    drop_off: float | None
    median_hours: float | None
    p90_hours: float | None
    velocity_per_day: float | None


class ActivationOut(BaseModel):
    """How fast and how many leads reach activation, against the targets."""

    leads: int
    activated: int
    rate: float | None
    rate_status: str
    median_minutes: float | None
    time_status: str


class FunnelOut(BaseModel):
    """The b2c funnel or the b2b pipeline as a funnel (``crm report funnel``)."""

    kind: str
    journeys: int
    stages: list[StageOut]
    activation: ActivationOut | None


class DealSummaryOut(BaseModel):
    """One currency's deals closed in the window."""

    currency: str
    won: int
    lost: int
    win_rate: float | None
    average_won: Decimal | None
    cycle_days: float | None
    cycle_status: str
    open_deals: int
    pipeline: Decimal
    forecast: Decimal


class BreakdownOut(BaseModel):
    """Won and lost deals of one value of one dimension (lost reason, owner, source)."""

    dimension: str
    key: str
    won: int
    lost: int
    win_rate: float | None
    won_amount: Decimal


class ForecastOut(BaseModel):
    """Open deals expected to close in a month, per currency."""

    month: str
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal


class DealsOut(BaseModel):
    """``crm report deals``."""

    summary: list[DealSummaryOut]
    breakdowns: list[BreakdownOut]
    forecast: list[ForecastOut]


class CohortOut(BaseModel):
    """One cohort: retention and revenue per period after the cohort's (its own first)."""

    cohort: str
    size: int
    retention: list[float | None]
    revenue: list[Decimal | None]
    total_revenue: Decimal


class MetricOut(BaseModel):
    """A headline metric beside its target."""

    metric: str
    value: float | None
    target: str
    status: str


class MonthOut(BaseModel):
    """One month's MRR movement."""

    month: str
    mrr: Decimal
    customers: int
    new_customers: int
    churned_customers: int
    growth: float | None
    logo_churn: float | None
    revenue_churn: float | None
    nrr: float | None


class SaasOut(BaseModel):
    """``crm report saas``."""

    metrics: list[MetricOut]
    months: list[MonthOut]


class LeadSourceOut(BaseModel):
    """Leads captured in the window from one source."""

    source: str
    leads: int
    qualified: int
    converted: int
    avg_score: float | None
    conversion_rate: float | None


class CreditOut(BaseModel):
    """What one model credits one channel with (``removal_effect``: markov only)."""

    model: str
    channel: str
    conversions: float
    value: float
    removal_effect: float | None

"""Typed request and response bodies: the OpenAPI document is generated from these.

Field names are the CLI's documented ones (``crmcore.app.cli.views``), plus ``version``,
which is also each record's ``ETag``. Money amounts are decimal strings.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crmcore.domain.account import SIZE_RANGES
from crmcore.domain.contact import Channel, ContactRole, LifecycleStage
from crmcore.domain.lead import LeadSource, LeadStatus
from crmcore.domain.pipeline import DealStage

T = TypeVar("T")

Text = Field(default=None, max_length=300)
ShortText = Field(default=None, max_length=100)


class Strict(BaseModel):
    """Request bodies: unknown fields are refused (a typo is not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None = None


# -- leads -----------------------------------------------------------------------------


class LeadOut(BaseModel):
    """A lead."""

    id: UUID
    email: str
    first_name: str
    last_name: str
    phone: str | None
    company: str | None
    job_title: str | None
    source: LeadSource
    source_detail: str | None
    status: LeadStatus
    score: int
    assignee: str | None
    company_size: int | None
    industry: str | None
    budget: Decimal | None
    region: str | None
    qualification: dict[str, str] | None
    disqualify_reason: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


class LeadIn(Strict):
    """A new lead (every field error is reported at once)."""

    email: str = Field(max_length=320)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = Text
    job_title: str | None = Text
    source: LeadSource = LeadSource.API
    source_detail: str | None = Text
    company_size: int | None = Field(default=None, ge=0, le=10_000_000)
    industry: str | None = Text
    budget: str | None = Field(default=None, max_length=40)
    region: str | None = ShortText


class LeadUpdate(Strict):
    """Changes to a lead's details: an absent field is kept, ``""`` clears a text."""

    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = Text
    job_title: str | None = Text
    source_detail: str | None = Text
    company_size: int | None = Field(default=None, ge=0, le=10_000_000)
    industry: str | None = Text
    budget: str | None = Field(default=None, max_length=40)
    region: str | None = ShortText


# -- contacts --------------------------------------------------------------------------


class ContactOut(BaseModel):
    """A contact."""

    id: UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    user_id: str | None
    account_id: UUID | None
    role: ContactRole | None
    lifecycle: LifecycleStage
    preferred_channel: Channel | None
    archived: bool
    funnel_stage: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


class ContactIn(Strict):
    """A new contact."""

    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    user_id: str | None = Field(default=None, max_length=200)
    account_id: UUID | None = None
    role: ContactRole | None = None
    preferred_channel: Channel | None = None


class ContactUpdate(Strict):
    """Changes to a contact: an absent field is kept."""

    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    account_id: UUID | None = None
    role: ContactRole | None = None
    preferred_channel: Channel | None = None


# -- accounts --------------------------------------------------------------------------

AccountKind = Literal["university", "corporation", "ngo"]
SizeRange = Literal[SIZE_RANGES]  # type: ignore[valid-type]


class AccountOut(BaseModel):
    """An account."""

    id: UUID
    name: str
    type: AccountKind
    industry: str | None
    size_range: str | None
    website: str | None
    region: str | None
    billing_address: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


class AccountIn(Strict):
    """A new account (names are unique, case-insensitive)."""

    name: str = Field(max_length=300)
    type: AccountKind = "corporation"
    industry: str | None = Text
    size_range: SizeRange | None = None
    website: str | None = Text
    region: str | None = ShortText
    billing_address: str | None = Text


class AccountUpdate(Strict):
    """Changes to an account: an absent field is kept, ``""`` clears a text."""

    name: str | None = Field(default=None, max_length=300)
    type: AccountKind | None = None
    industry: str | None = Text
    size_range: SizeRange | None = None
    website: str | None = Text
    region: str | None = ShortText
    billing_address: str | None = Text


# -- deals -----------------------------------------------------------------------------


class DealOut(BaseModel):
    """A deal."""

    id: UUID
    title: str
    stage: DealStage
    amount: Decimal
    currency: str
    probability: int
    weighted: Decimal
    expected_close: date | None
    actual_close: date | None
    owner: str | None
    account_id: UUID | None
    contact_id: UUID | None
    lost_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class DealIn(Strict):
    """A new deal in an open stage."""

    title: str = Field(max_length=300)
    amount: str = Field(max_length=40, examples=["1200.00"])
    currency: str | None = Field(default=None, max_length=3)
    account_id: UUID | None = None
    contact_id: UUID | None = None
    stage: DealStage = DealStage.LEAD
    probability: int | None = Field(default=None, ge=0, le=100)
    expected_close: date | None = None
    owner: str | None = ShortText


class DealUpdate(Strict):
    """Changes to a deal's terms: an absent field is kept."""

    title: str | None = Field(default=None, max_length=300)
    amount: str | None = Field(default=None, max_length=40)
    currency: str | None = Field(default=None, max_length=3)
    probability: int | None = Field(default=None, ge=0, le=100)
    expected_close: date | None = None
    owner: str | None = ShortText


class DealMove(Strict):
    """A stage move: to the next stage, or to ``to`` (one stage forward or back; further
    with ``skip_reason``, which the stage-change event carries)."""

    to: DealStage | None = None
    skip_reason: str | None = Field(default=None, max_length=500)


# -- reports ---------------------------------------------------------------------------


class PipelineRow(BaseModel):
    """Deals, value and the probability-weighted forecast of one stage and currency."""

    stage: DealStage
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal


class SegmentOut(BaseModel):
    """A saved segment."""

    id: UUID
    name: str
    filter: dict[str, Any]
    member_count: int
    refreshed_at: datetime | None
    created_at: datetime
    version: int


class SegmentIn(Strict):
    """A new segment: a name and a filter (see docs/cli.md, crm segments)."""

    name: str = Field(max_length=100)
    filter: dict[str, Any]


class SegmentMemberOut(BaseModel):
    """A contact in a segment."""

    contact_id: UUID
    user_id: str | None
    email: str | None
    name: str


class RfmSegmentRow(BaseModel):
    """Customers in one RFM segment."""

    segment: str
    customers: int


class RfmReportOut(BaseModel):
    """The RFM report at a date."""

    as_of: date
    segments: list[RfmSegmentRow]
    active: int
    sleeping: int


class AcceptedOut(BaseModel):
    """What an accepting endpoint did."""

    status: str
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = []


class HealthOut(BaseModel):
    """A customer's latest health assessment."""

    contact_id: UUID
    user_id: str | None
    name: str
    score: int
    level: str
    action: str
    reasons: list[str]
    computed_at: datetime


class WebhookIn(Strict):
    """A new outbound webhook subscription."""

    url: str = Field(max_length=2000, examples=["https://hooks.example.com/crm"])
    event_type: str = Field(default="crm.*", max_length=100)


class WebhookOut(BaseModel):
    """An outbound webhook subscription (its secret only in the answer that made it)."""

    id: UUID
    url: str
    event_type: str
    active: bool
    created_at: datetime
    secret: str | None = None


class ProblemOut(BaseModel):
    """An RFC 9457 problem document: every error answer."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str]] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries of problem documents for ``statuses``."""
    schema = ProblemOut.model_json_schema()
    reasons = {
        401: "No valid API key",
        403: "The key's scope is too small",
        404: "No such record",
        409: "A business rule or a concurrent change refused it",
        412: "The record changed since it was read",
        413: "The body is too large",
        422: "Invalid input (field errors)",
        428: "If-Match is missing",
        429: "The key's rate limit is spent (see Retry-After)",
        503: "Storage is unavailable",
    }
    return {
        s: {
            "description": reasons.get(s, "Error"),
            "content": {"application/problem+json": {"schema": schema}},
        }
        for s in statuses
    }


#: What every route guarded by an API key may answer besides its success.
API_PROBLEMS = problem_responses(401, 403, 413, 422, 429, 503)

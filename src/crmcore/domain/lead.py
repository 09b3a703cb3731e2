"""Leads: capture sources, the status machine, scoring inputs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
from returns.result import Result

from crmcore.domain.email import Email
from crmcore.domain.errors import IllegalTransition
from crmcore.domain.events import Changed, DomainEvent, event_type
from crmcore.domain.ids import AccountId, ContactId, DealId, LeadId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.statemachine import Machine

JsonDict = dict[str, Any]


class LeadSource(StrEnum):
    """Where a lead came from."""

    ORGANIC = "organic"
    REFERRAL = "referral"
    EVENT = "event"
    CONTENT = "content"
    PAID = "paid"
    PARTNERSHIP = "partnership"
    IMPORT = "import"
    API = "api"


class LeadStatus(StrEnum):
    """Lead status values from the source."""

    NEW = "new"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


LEAD_STATUS = Machine[LeadStatus](
    "lead status",
    {
        (LeadStatus.NEW, "qualify"): LeadStatus.QUALIFIED,
        (LeadStatus.NEW, "disqualify"): LeadStatus.DISQUALIFIED,
        (LeadStatus.QUALIFIED, "convert"): LeadStatus.CONVERTED,
        (LeadStatus.QUALIFIED, "disqualify"): LeadStatus.DISQUALIFIED,
        (LeadStatus.DISQUALIFIED, "reopen"): LeadStatus.NEW,
    },
)


#: The largest company size a lead can state (employees; the largest employers have a
#: few million). Larger numbers are typing errors, and SQL integers have a bound too.
MAX_COMPANY_SIZE = 100_000_000


def company_size_error(value: int) -> str | None:
    """Why ``value`` is not a company size, or ``None`` when it is one."""
    if value < 0:
        return "must not be negative"
    if value > MAX_COMPANY_SIZE:
        return f"must be at most {MAX_COMPANY_SIZE:,}"
    return None


@attrs.frozen(kw_only=True)
class Firmographics:
    """Company facts used by the fit score."""

    company_size: int | None = None
    industry: str | None = None
    budget: Decimal | None = None
    region: str | None = None


@attrs.frozen(kw_only=True)
class Engagement:
    """Engagement counters fed by events."""

    page_views: int = 0
    downloads: int = 0
    email_opens: int = 0
    email_clicks: int = 0
    events_attended: int = 0
    last_engaged_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Qualification:
    """What the qualification call recorded: fit, budget and timeline."""

    fit: str
    budget: str
    timeline: str


@attrs.frozen(kw_only=True)
class Lead:
    """A person who left contact details and may become a customer."""

    id: LeadId
    email: Email
    name: PersonName
    phone: Phone | None = None
    company: str | None = None
    job_title: str | None = None
    source: LeadSource = LeadSource.API
    source_detail: str | None = None
    status: LeadStatus = LeadStatus.NEW
    score: int = attrs.field(
        default=0, validator=[attrs.validators.ge(0), attrs.validators.le(100)]
    )
    assignee: str | None = None
    firmographics: Firmographics = Firmographics()
    engagement: Engagement = Engagement()
    qualification: Qualification | None = None
    disqualify_reason: str | None = None
    metadata: JsonDict = attrs.field(factory=dict)
    created_at: datetime
    updated_at: datetime
    version: int = 0

    def _move(self, move: str, at: datetime, **changes: Any) -> Result[Lead, IllegalTransition]:
        return LEAD_STATUS.fire(self.status, move).map(
            lambda status: attrs.evolve(self, status=status, updated_at=at, **changes)
        )

    def qualify(
        self, qualification: Qualification, *, at: datetime
    ) -> Result[Changed[Lead], IllegalTransition]:
        """Record the qualification call and mark the lead qualified."""
        return self._move("qualify", at, qualification=qualification).map(
            lambda lead: Changed(lead, (LeadQualified(lead_id=lead.id, email=str(lead.email)),))
        )

    def disqualify(self, reason: str, *, at: datetime) -> Result[Changed[Lead], IllegalTransition]:
        """Take the lead out of the funnel, keeping the reason."""
        return self._move("disqualify", at, disqualify_reason=reason).map(
            lambda lead: Changed(lead, (LeadDisqualified(lead_id=lead.id, reason=reason),))
        )

    def reopen(self, *, at: datetime) -> Result[Changed[Lead], IllegalTransition]:
        """Bring a disqualified lead back to ``new``."""
        return self._move("reopen", at, disqualify_reason=None).map(
            lambda lead: Changed(lead, (LeadReopened(lead_id=lead.id),))
        )

    def convert(self, *, at: datetime) -> Result[Lead, IllegalTransition]:
        """Mark the lead converted; the caller records ``LeadConverted`` with the new ids."""
        return self._move("convert", at)

    def rescored(self, score: int, *, at: datetime) -> Changed[Lead]:
        """The lead with a new score; an event only when the value changes."""
        if score == self.score:
            return Changed(self)
        lead = attrs.evolve(self, score=score, updated_at=at)
        return Changed(lead, (LeadScored(lead_id=self.id, previous=self.score, score=score),))


@event_type("crm.lead.created")
@attrs.frozen(kw_only=True)
class LeadCreated(DomainEvent):
    """A lead was captured."""

    lead_id: LeadId
    email: str
    source: str
    source_detail: str | None = None


@event_type("crm.lead.scored")
@attrs.frozen(kw_only=True)
class LeadScored(DomainEvent):
    """A lead's score changed."""

    lead_id: LeadId
    previous: int
    score: int


@event_type("crm.lead.qualified")
@attrs.frozen(kw_only=True)
class LeadQualified(DomainEvent):
    """A lead passed qualification (fit, budget, timeline recorded)."""

    lead_id: LeadId
    email: str


@event_type("crm.lead.disqualified")
@attrs.frozen(kw_only=True)
class LeadDisqualified(DomainEvent):
    """A lead was taken out of the funnel."""

    lead_id: LeadId
    reason: str


@event_type("crm.lead.reopened")
@attrs.frozen(kw_only=True)
class LeadReopened(DomainEvent):
    """A disqualified lead was brought back."""

    lead_id: LeadId


@event_type("crm.lead.converted")
@attrs.frozen(kw_only=True)
class LeadConverted(DomainEvent):
    """A lead became a contact (and an account and a deal for b2b)."""

    lead_id: LeadId
    contact_id: ContactId
    account_id: AccountId | None = None
    deal_id: DealId | None = None

"""Lead use cases: capture, qualify, disqualify, reopen, convert, queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, read, transact
from crmcore.app.errors import AppError, DuplicateLead, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.app.intelligence.scoring import first_score
from crmcore.app.sales.deals import deal_created, new_deal
from crmcore.domain.account import Account, AccountType
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.funnel import FunnelJourney, FunnelStage
from crmcore.domain.ids import AccountId, ContactId, LeadId
from crmcore.domain.lead import (
    Firmographics,
    Lead,
    LeadConverted,
    LeadCreated,
    LeadSource,
    LeadStatus,
    Qualification,
    company_size_error,
)
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal, DealStage
from crmcore.domain.scoring import ScoringConfig
from crmcore.ports.uow import UnitOfWork


def capture_lead(
    app: App,
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str | None = None,
    company: str | None = None,
    job_title: str | None = None,
    source: str = "api",
    source_detail: str | None = None,
    company_size: int | None = None,
    industry: str | None = None,
    budget: str | None = None,
    region: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Result[Lead, AppError]:
    """Validate every field (all errors at once) and store a new lead."""
    check = Collector()
    parsed_email = check.take(Email.parse(email))
    name = check.take(PersonName.parse(first_name, last_name))
    parsed_phone = check.optional(
        phone, lambda p: Phone.parse(p, region=app.settings.default_region)
    )
    parsed_source = check.choice("source", source, LeadSource)
    size_error = None if company_size is None else company_size_error(company_size)
    if size_error is not None:
        check.fail("company_size", str(company_size), size_error)
    money = check.optional(budget, lambda b: Money.parse(b, field="budget"))
    parsed_budget = money.amount if money is not None else None
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert parsed_email is not None
    assert name is not None
    assert parsed_source is not None
    now = app.clock.now()
    lead = Lead(
        id=LeadId(app.ids.new()),
        email=parsed_email,
        name=name,
        phone=parsed_phone,
        company=(company or "").strip() or None,
        job_title=(job_title or "").strip() or None,
        source=parsed_source,
        source_detail=source_detail,
        firmographics=Firmographics(
            company_size=company_size, industry=industry, budget=parsed_budget, region=region
        ),
        metadata=dict(metadata or {}),
        created_at=now,
        updated_at=now,
    )

    def work(uow: UnitOfWork) -> Result[Lead, AppError]:
        existing = uow.leads.find_by_email(lead.email)
        if existing is not None:
            return Failure(DuplicateLead(email=str(lead.email), existing_id=existing.id))
        scored, scoring = first_score(lead, config=ScoringConfig(), now=now)
        uow.leads.add(scored)
        uow.record(
            LeadCreated(
                lead_id=lead.id,
                email=str(lead.email),
                source=lead.source,
                source_detail=source_detail,
            ),
            *scoring,
        )
        return Success(scored)

    return transact(app, work)


def _load_lead(uow: UnitOfWork, lead_id: LeadId) -> Result[Lead, AppError]:
    lead = uow.leads.get(lead_id)
    return Success(lead) if lead is not None else Failure(NotFound(kind="lead", key=str(lead_id)))


def qualify_lead(
    app: App, lead_id: LeadId, *, fit: str, budget: str, timeline: str
) -> Result[Lead, AppError]:
    """Record the qualification call (fit, budget, timeline) and qualify the lead."""
    check = Collector()
    for field, value in (("fit", fit), ("budget", budget), ("timeline", timeline)):
        if not value.strip():
            check.fail(field, value, "is required to qualify")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    criteria = Qualification(fit=fit.strip(), budget=budget.strip(), timeline=timeline.strip())

    def work(uow: UnitOfWork) -> Result[Lead, AppError]:
        return _load_lead(uow, lead_id).bind(
            lambda lead: _save_changed(uow, lead.qualify(criteria, at=app.clock.now()))
        )

    return transact(app, work)


def disqualify_lead(app: App, lead_id: LeadId, *, reason: str) -> Result[Lead, AppError]:
    """Take a new or qualified lead out of the funnel."""

    def work(uow: UnitOfWork) -> Result[Lead, AppError]:
        return _load_lead(uow, lead_id).bind(
            lambda lead: _save_changed(uow, lead.disqualify(reason, at=app.clock.now()))
        )

    return transact(app, work)


def reopen_lead(app: App, lead_id: LeadId) -> Result[Lead, AppError]:
    """Bring a disqualified lead back to ``new``."""

    def work(uow: UnitOfWork) -> Result[Lead, AppError]:
        return _load_lead(uow, lead_id).bind(
            lambda lead: _save_changed(uow, lead.reopen(at=app.clock.now()))
        )

    return transact(app, work)


def _save_changed(uow: UnitOfWork, changed: Result[Any, Any]) -> Result[Lead, AppError]:
    def store(change: Any) -> Lead:
        uow.leads.save(change.entity)
        uow.record(*change.events)
        lead: Lead = change.entity
        return lead

    return changed.map(store)


@attrs.frozen(kw_only=True)
class Conversion:
    """What converting a lead produced."""

    lead: Lead
    contact: Contact
    account: Account | None
    deal: Deal | None


def convert_lead(
    app: App,
    lead_id: LeadId,
    *,
    account_name: str | None = None,
    account_type: str = "corporation",
    deal_title: str | None = None,
    deal_amount: str | None = None,
    currency: str | None = None,
) -> Result[Conversion, AppError]:
    """Turn a qualified lead into a contact, plus an account (b2b) and optionally a deal.

    An existing contact with the lead's e-mail is reused, never duplicated.
    """
    check = Collector()
    kind = check.choice("account_type", account_type, AccountType)
    amount = None
    if deal_amount is not None:
        amount = check.take(Money.parse(deal_amount, currency or app.settings.default_currency))
    if amount is not None and not (deal_title or "").strip():
        check.fail("deal_title", "", "a deal needs a title")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def work(uow: UnitOfWork) -> Result[Conversion, AppError]:
        found = _load_lead(uow, lead_id)
        if isinstance(found, Failure):
            return Failure(found.failure())
        now = app.clock.now()
        converted = found.unwrap().convert(at=now)
        if isinstance(converted, Failure):
            return Failure(converted.failure())
        lead = converted.unwrap()
        uow.leads.save(lead)
        account = _account_for(app, uow, account_name, kind or AccountType.CORPORATION)
        contact = next(iter(uow.contacts.find_many(emails=[lead.email])), None)
        if contact is None:
            contact = Contact(
                id=ContactId(app.ids.new()),
                name=lead.name,
                email=lead.email,
                phone=lead.phone,
                account_id=account.id if account else None,
                lifecycle=LifecycleStage.PROSPECT,
                funnel=FunnelJourney.start(FunnelStage.LEAD, now),
                source_lead_id=lead.id,
                created_at=now,
                updated_at=now,
            )
            uow.contacts.add(contact)
        elif account is not None and contact.account_id is None:
            contact = attrs.evolve(contact, account_id=account.id, updated_at=now)
            uow.contacts.save(contact)
        deal = None
        if amount is not None and deal_title:
            deal = new_deal(
                app,
                title=deal_title,
                amount=amount,
                account_id=account.id if account else None,
                contact_id=contact.id,
                stage=DealStage.QUALIFIED,
            )
            uow.deals.add(deal)
            uow.record(deal_created(deal))
        uow.record(
            LeadConverted(
                lead_id=lead.id,
                contact_id=contact.id,
                account_id=account.id if account else None,
                deal_id=deal.id if deal else None,
            )
        )
        return Success(Conversion(lead=lead, contact=contact, account=account, deal=deal))

    return transact(app, work)


def _account_for(app: App, uow: UnitOfWork, name: str | None, kind: AccountType) -> Account | None:
    if not (name or "").strip():
        return None
    assert name is not None
    existing = uow.accounts.find_by_name(name.strip())
    if existing is not None:
        return existing
    now = app.clock.now()
    account = Account(
        id=AccountId(app.ids.new()), name=name.strip(), type=kind, created_at=now, updated_at=now
    )
    uow.accounts.add(account)
    return account


def get_lead(app: App, lead_id: LeadId) -> Result[Lead, AppError]:
    """One lead by id (one statement: a read unit of work)."""
    return read(app, lambda uow: _load_lead(uow, lead_id))


def list_leads(
    app: App,
    *,
    status: LeadStatus | None = None,
    limit: int | None = None,
    offset: int = 0,
    after: UUID | None = None,
) -> Result[Sequence[Lead], AppError]:
    """Leads, optionally of one status, in id (creation) order (one statement: a read
    unit of work)."""
    return read(
        app,
        lambda uow: Success(uow.leads.list(status=status, limit=limit, offset=offset, after=after)),
    )


def count_leads(app: App, *, status: LeadStatus | None = None) -> Result[int, AppError]:
    """How many leads :func:`list_leads` would give without a limit."""
    return transact(app, lambda uow: Success(uow.leads.count(status=status)))

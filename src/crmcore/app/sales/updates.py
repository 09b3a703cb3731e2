"""Updates of a lead, an account or a deal's terms, with optimistic locking.

Each takes the fields to change (``None`` keeps a field, ``""`` clears an optional
text) and ``expected_version``: the version the caller read (the HTTP API's ``If-Match``).
A record changed since answers ``StaleVersion``; one changed concurrently between the
read and the write answers ``Conflict`` (the repositories' version check).
Contacts are updated by :func:`crmcore.app.sales.contacts.update_contact`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict, NotFound, StaleVersion
from crmcore.app.importing.validation import Collector
from crmcore.domain.account import SIZE_RANGES, Account, AccountType
from crmcore.domain.contact import Contact
from crmcore.domain.ids import AccountId, DealId, LeadId
from crmcore.domain.lead import Lead, company_size_error
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal
from crmcore.ports.uow import UnitOfWork

E = TypeVar("E", Lead, Account, Deal, Contact)


def _text(value: str | None, current: str | None) -> str | None:
    if value is None:
        return current
    return value.strip() or None


def current(kind: str, key: object, entity: E | None, expected: int | None) -> Result[E, AppError]:
    """The stored record, if it is still at the version the caller read (``expected``;
    ``None`` takes any version)."""
    if entity is None:
        return Failure(NotFound(kind=kind, key=str(key)))
    if expected is not None and entity.version != expected:
        stale = StaleVersion(kind=kind, key=str(key), expected=expected, actual=entity.version)
        return Failure(stale)
    return Success(entity)


def update_lead(
    app: App,
    lead_id: LeadId,
    *,
    expected_version: int | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    job_title: str | None = None,
    source_detail: str | None = None,
    company_size: int | None = None,
    industry: str | None = None,
    budget: str | None = None,
    region: str | None = None,
) -> Result[Lead, AppError]:
    """Change a lead's details (not its e-mail, status or score, which have their own
    use cases); every field error is reported at once."""
    check = Collector()
    parsed_phone = check.optional(
        phone or None, lambda p: Phone.parse(p, region=app.settings.default_region)
    )
    if company_size is not None:
        size_error = company_size_error(company_size)
        if size_error is not None:
            check.fail("company_size", str(company_size), size_error)
    money = check.optional(budget or None, lambda b: Money.parse(b, field="budget"))
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def work(uow: UnitOfWork) -> Result[Lead, AppError]:
        found = uow.leads.get(lead_id)
        return current("lead", lead_id, found, expected_version).bind(
            lambda lead: change(uow, lead)
        )

    def change(uow: UnitOfWork, lead: Lead) -> Result[Lead, AppError]:
        names = Collector()
        name = names.take(
            PersonName.parse(
                lead.name.first if first_name is None else first_name,
                lead.name.last if last_name is None else last_name,
            )
        )
        bad = names.failure()
        if bad is not None or name is None:
            return Failure(bad) if bad is not None else Success(lead)
        firm = lead.firmographics
        firmographics = attrs.evolve(
            firm,
            company_size=firm.company_size if company_size is None else company_size,
            industry=_text(industry, firm.industry),
            budget=firm.budget if budget is None else (money.amount if money else None),
            region=_text(region, firm.region),
        )
        updated = attrs.evolve(
            lead,
            name=name,
            phone=lead.phone if phone is None else parsed_phone,
            company=_text(company, lead.company),
            job_title=_text(job_title, lead.job_title),
            source_detail=_text(source_detail, lead.source_detail),
            firmographics=firmographics,
            updated_at=app.clock.now(),
        )
        uow.leads.save(updated)
        return Success(updated)

    return transact(app, work)


def update_account(
    app: App,
    account_id: AccountId,
    *,
    expected_version: int | None = None,
    name: str | None = None,
    type: str | None = None,
    industry: str | None = None,
    size_range: str | None = None,
    website: str | None = None,
    region: str | None = None,
    billing_address: str | None = None,
) -> Result[Account, AppError]:
    """Change an account's details; a new name must be free (case-insensitive)."""
    check = Collector()
    if name is not None and not name.strip():
        check.fail("name", name, "is required")
    kind = check.choice("type", type, AccountType)
    if size_range and size_range not in SIZE_RANGES:
        check.fail("size_range", size_range, f"must be one of {', '.join(SIZE_RANGES)}")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def work(uow: UnitOfWork) -> Result[Account, AppError]:
        found = uow.accounts.get(account_id)
        return current("account", account_id, found, expected_version).bind(
            lambda account: change(uow, account)
        )

    def change(uow: UnitOfWork, account: Account) -> Result[Account, AppError]:
        new_name = account.name if name is None else " ".join(name.split())
        if new_name.casefold() != account.name.casefold():
            other = uow.accounts.find_by_name(new_name)
            if other is not None and other.id != account.id:
                return Failure(Conflict(detail=f"an account named {new_name!r} exists"))
        updated = attrs.evolve(
            account,
            name=new_name,
            type=kind or account.type,
            industry=_text(industry, account.industry),
            size_range=_text(size_range, account.size_range),
            website=_text(website, account.website),
            region=_text(region, account.region),
            billing_address=_text(billing_address, account.billing_address),
            updated_at=app.clock.now(),
        )
        uow.accounts.save(updated)
        return Success(updated)

    return transact(app, work)


def update_deal(
    app: App,
    deal_id: DealId,
    *,
    expected_version: int | None = None,
    title: str | None = None,
    amount: str | None = None,
    currency: str | None = None,
    probability: int | None = None,
    expected_close: date | None = None,
    owner: str | None = None,
) -> Result[Deal, AppError]:
    """Change a deal's terms (its stage moves through ``move_deal``, ``win``, ``lose``).

    A closed deal's terms are final."""
    check = Collector()
    if title is not None and not title.strip():
        check.fail("title", title, "is required")
    if probability is not None and not 0 <= probability <= 100:
        check.fail("probability", str(probability), "must be between 0 and 100")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def work(uow: UnitOfWork) -> Result[Deal, AppError]:
        found = uow.deals.get(deal_id)
        return current("deal", deal_id, found, expected_version).bind(
            lambda deal: change(uow, deal)
        )

    def change(uow: UnitOfWork, deal: Deal) -> Result[Deal, AppError]:
        money_check = Collector()
        money = deal.amount
        if amount is not None or currency is not None:
            parsed = money_check.take(
                Money.parse(
                    deal.amount.amount if amount is None else amount,
                    currency or deal.amount.currency,
                )
            )
            if parsed is not None and parsed.is_negative:
                money_check.fail("amount", str(amount), "must not be negative")
            bad = money_check.failure()
            if bad is not None or parsed is None:
                return Failure(bad) if bad is not None else Success(deal)
            money = parsed
        if deal.is_closed:
            return Failure(Conflict(detail=f"deal {deal_id} is closed: its terms are final"))
        changes: dict[str, Any] = {"amount": money, "updated_at": app.clock.now()}
        if title is not None:
            changes["title"] = title.strip()
        if probability is not None:
            changes["probability"] = probability
        if expected_close is not None:
            changes["expected_close"] = expected_close
        if owner is not None:
            changes["owner"] = owner.strip() or None
        updated = attrs.evolve(deal, **changes)
        uow.deals.save(updated)
        return Success(updated)

    return transact(app, work)

"""Small builders shared by the contract tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from crmcore.domain.account import Account
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import AccountId, ActivityId, ContactId, DealId, LeadId
from crmcore.domain.lead import Lead
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal, DealStage, StageChange
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend


def lead(b: Backend, email: str, *, first: str = "Ann", at: datetime | None = None) -> Lead:
    """A new lead with a fresh id."""
    when = at or b.clock.now()
    return Lead(
        id=LeadId(b.ids.new()),
        email=Email(email),
        name=PersonName(first, "Lee"),
        created_at=when,
        updated_at=when,
    )


def contact(
    b: Backend,
    *,
    email: str | None = None,
    user_id: str | None = None,
    phone: str | None = None,
    account_id: AccountId | None = None,
    first: str = "Bo",
) -> Contact:
    """A new contact with a fresh id."""
    now = b.clock.now()
    return Contact(
        id=ContactId(b.ids.new()),
        name=PersonName(first, "Ng"),
        email=Email(email) if email else None,
        phone=Phone(phone) if phone else None,
        user_id=user_id,
        account_id=account_id,
        created_at=now,
        updated_at=now,
    )


def account(b: Backend, name: str) -> Account:
    """A new account with a fresh id."""
    now = b.clock.now()
    return Account(id=AccountId(b.ids.new()), name=name, created_at=now, updated_at=now)


def deal(
    b: Backend,
    title: str = "Deal",
    *,
    amount: str = "1000.10",
    stage: DealStage = DealStage.LEAD,
    account_id: AccountId | None = None,
) -> Deal:
    """A new deal with its first history entry."""
    now = b.clock.now()
    return Deal(
        id=DealId(b.ids.new()),
        title=title,
        amount=Money(Decimal(amount), "EUR"),
        stage=stage,
        account_id=account_id,
        history=(StageChange(from_stage=None, to_stage=stage, at=now),),
        created_at=now,
        updated_at=now,
    )


def task(
    b: Backend,
    subject: str,
    *,
    due_at: datetime | None = None,
    lead_id: LeadId | None = None,
    deal_id: DealId | None = None,
    contact_id: ContactId | None = None,
    type: ActivityType = ActivityType.TASK,
) -> Activity:
    """A new activity (a task by default)."""
    return Activity(
        id=ActivityId(b.ids.new()),
        type=type,
        subject=subject,
        lead_id=lead_id,
        deal_id=deal_id,
        contact_id=contact_id,
        due_at=due_at,
        created_at=b.clock.now(),
    )


def write_and_commit(uow: UnitOfWork, step: Callable[[], None]) -> None:
    """Run ``step`` then commit: adapters may refuse at either point."""
    step()
    uow.commit()

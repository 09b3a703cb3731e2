"""Account use cases: create, show, list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from returns.result import Failure, Result, Success

from crmcore.app.context import App, read, transact
from crmcore.app.errors import AppError, Conflict, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.domain.account import SIZE_RANGES, Account, AccountType
from crmcore.domain.ids import AccountId
from crmcore.ports.uow import UnitOfWork


def create_account(
    app: App,
    *,
    name: str,
    type: str = "corporation",
    industry: str | None = None,
    size_range: str | None = None,
    website: str | None = None,
    region: str | None = None,
    billing_address: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Result[Account, AppError]:
    """Store a new account; names are unique (case-insensitive)."""
    check = Collector()
    if not name.strip():
        check.fail("name", name, "is required")
    kind = check.choice("type", type, AccountType)
    if size_range is not None and size_range not in SIZE_RANGES:
        check.fail("size_range", size_range, f"must be one of {', '.join(SIZE_RANGES)}")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert kind is not None
    now = app.clock.now()
    account = Account(
        id=AccountId(app.ids.new()),
        name=" ".join(name.split()),
        type=kind,
        industry=(industry or "").strip() or None,
        size_range=size_range,
        website=(website or "").strip() or None,
        region=(region or "").strip() or None,
        billing_address=(billing_address or "").strip() or None,
        attributes=dict(attributes or {}),
        created_at=now,
        updated_at=now,
    )

    def work(uow: UnitOfWork) -> Result[Account, AppError]:
        if uow.accounts.find_by_name(account.name) is not None:
            return Failure(Conflict(detail=f"an account named {account.name!r} exists"))
        uow.accounts.add(account)
        return Success(account)

    return transact(app, work)


def get_account(app: App, account_id: AccountId) -> Result[Account, AppError]:
    """One account by id."""

    def work(uow: UnitOfWork) -> Result[Account, AppError]:
        found = uow.accounts.get(account_id)
        if found is None:
            return Failure(NotFound(kind="account", key=str(account_id)))
        return Success(found)

    return read(app, work)


def list_accounts(
    app: App, *, limit: int | None = None, offset: int = 0, after: UUID | None = None
) -> Result[Sequence[Account], AppError]:
    """Accounts in id (creation) order (one statement: a read unit of work)."""
    return read(
        app, lambda uow: Success(uow.accounts.list(limit=limit, offset=offset, after=after))
    )


def count_accounts(app: App) -> Result[int, AppError]:
    """How many accounts are stored."""
    return transact(app, lambda uow: Success(uow.accounts.count()))

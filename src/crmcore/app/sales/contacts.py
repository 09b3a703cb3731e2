"""Contact use cases: create, show, list, update, archive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.domain.contact import Channel, Contact, ContactRole
from crmcore.domain.email import Email
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.ports.uow import UnitOfWork


def create_contact(
    app: App,
    *,
    first_name: str = "",
    last_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    user_id: str | None = None,
    account_id: AccountId | None = None,
    role: str | None = None,
    preferred_channel: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Result[Contact, AppError]:
    """Validate every field and store a new contact; e-mail and user id stay unique."""
    check = Collector()
    name = check.take(PersonName.parse(first_name, last_name))
    parsed_email = check.optional(email, Email.parse)
    parsed_phone = check.optional(
        phone, lambda p: Phone.parse(p, region=app.settings.default_region)
    )
    parsed_role = check.choice("role", role, ContactRole)
    channel = check.choice("preferred_channel", preferred_channel, Channel)
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert name is not None
    now = app.clock.now()
    contact = Contact(
        id=ContactId(app.ids.new()),
        name=name,
        email=parsed_email,
        phone=parsed_phone,
        user_id=(user_id or "").strip() or None,
        account_id=account_id,
        role=parsed_role,
        preferred_channel=channel,
        attributes=dict(attributes or {}),
        created_at=now,
        updated_at=now,
    )

    def work(uow: UnitOfWork) -> Result[Contact, AppError]:
        if account_id is not None and uow.accounts.get(account_id) is None:
            return Failure(NotFound(kind="account", key=str(account_id)))
        if contact.email is not None and uow.contacts.find_by_email(contact.email):
            return Failure(Conflict(detail=f"a contact with email {contact.email} exists"))
        if contact.user_id and uow.contacts.find_by_user_id(contact.user_id):
            return Failure(Conflict(detail=f"a contact with user id {contact.user_id} exists"))
        uow.contacts.add(contact)
        return Success(contact)

    return transact(app, work)


def _load(uow: UnitOfWork, contact_id: ContactId) -> Result[Contact, AppError]:
    found = uow.contacts.get(contact_id)
    if found is None:
        return Failure(NotFound(kind="contact", key=str(contact_id)))
    return Success(found)


def get_contact(app: App, contact_id: ContactId) -> Result[Contact, AppError]:
    """One contact by id."""
    return transact(app, lambda uow: _load(uow, contact_id))


def list_contacts(
    app: App,
    *,
    account_id: AccountId | None = None,
    include_archived: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Result[Sequence[Contact], AppError]:
    """Contacts in id (creation) order; archived ones only when asked."""
    return transact(
        app,
        lambda uow: Success(
            uow.contacts.list(
                account_id=account_id,
                include_archived=include_archived,
                limit=limit,
                offset=offset,
            )
        ),
    )


def update_contact(
    app: App,
    contact_id: ContactId,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    role: str | None = None,
    preferred_channel: str | None = None,
    account_id: AccountId | None = None,
) -> Result[Contact, AppError]:
    """Change the given fields (``None`` keeps a field); every error reported at once."""
    check = Collector()
    parsed_email = check.optional(email, Email.parse)
    parsed_phone = check.optional(
        phone, lambda p: Phone.parse(p, region=app.settings.default_region)
    )
    parsed_role = check.choice("role", role, ContactRole)
    channel = check.choice("preferred_channel", preferred_channel, Channel)
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)

    def work(uow: UnitOfWork) -> Result[Contact, AppError]:
        found = _load(uow, contact_id)
        if isinstance(found, Failure):
            return found
        contact = found.unwrap()
        check_name = Collector()
        name = check_name.take(
            PersonName.parse(
                contact.name.first if first_name is None else first_name,
                contact.name.last if last_name is None else last_name,
            )
        )
        bad = check_name.failure()
        if bad is not None:
            return Failure(bad)
        if account_id is not None and uow.accounts.get(account_id) is None:
            return Failure(NotFound(kind="account", key=str(account_id)))
        changes: dict[str, Any] = {"name": name}
        for field, value in (
            ("email", parsed_email),
            ("phone", parsed_phone),
            ("role", parsed_role),
            ("preferred_channel", channel),
            ("account_id", account_id),
        ):
            if value is not None:
                changes[field] = value
        if parsed_email is not None and parsed_email != contact.email:
            other = uow.contacts.find_by_email(parsed_email)
            if other is not None and other.id != contact.id:
                return Failure(Conflict(detail=f"a contact with email {parsed_email} exists"))
        updated = attrs.evolve(contact, updated_at=app.clock.now(), **changes)
        uow.contacts.save(updated)
        return Success(updated)

    return transact(app, work)


def archive_contact(app: App, contact_id: ContactId) -> Result[Contact, AppError]:
    """Soft-delete a contact: hidden from lists, kept for history."""

    def work(uow: UnitOfWork) -> Result[Contact, AppError]:
        found = _load(uow, contact_id)
        if isinstance(found, Failure):
            return found
        archived = found.unwrap().archive(at=app.clock.now())
        uow.contacts.save(archived)
        return Success(archived)

    return transact(app, work)

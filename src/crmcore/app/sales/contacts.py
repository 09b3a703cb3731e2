"""Contact use cases: create, show, find, list, update, archive."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, read, transact
from crmcore.app.errors import AppError, Conflict, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.app.sales.updates import current
from crmcore.domain.contact import Channel, Contact, ContactRole
from crmcore.domain.contact_merge import merged_into
from crmcore.domain.email import Email
from crmcore.domain.filters import parse_filter
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
        if contact.email is not None and uow.contacts.find_many(emails=[contact.email]):
            return Failure(Conflict(detail=f"a contact with email {contact.email} exists"))
        if contact.user_id and uow.contacts.find_many(user_ids=[contact.user_id]):
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
    """One contact by id (one statement: a read unit of work)."""
    return read(app, lambda uow: _load(uow, contact_id))


def list_contacts(
    app: App,
    *,
    account_id: AccountId | None = None,
    include_archived: bool = False,
    limit: int | None = None,
    offset: int = 0,
    after: UUID | None = None,
) -> Result[Sequence[Contact], AppError]:
    """Contacts in id (creation) order; archived ones only when asked (one statement:
    a read unit of work)."""
    return read(
        app,
        lambda uow: Success(
            uow.contacts.list(
                account_id=account_id,
                include_archived=include_archived,
                limit=limit,
                offset=offset,
                after=after,
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
    expected_version: int | None = None,
) -> Result[Contact, AppError]:
    """Change the given fields (``None`` keeps a field); every error reported at once.

    With ``expected_version`` the change applies only to that version (else ``StaleVersion``).
    """
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
        found = current("contact", contact_id, uow.contacts.get(contact_id), expected_version)
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
            other = next(iter(uow.contacts.find_many(emails=[parsed_email])), None)
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


@attrs.frozen(kw_only=True)
class ContactPage:
    """One page of the contacts a query selects, and how many it selects in all."""

    contacts: Sequence[Contact]
    total: int
    offset: int


_PHONE_PUNCTUATION = frozenset("+-()., ")


def _phone_like(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 3 and all(ch.isdigit() or ch in _PHONE_PUNCTUATION for ch in text)


def _search_terms(text: str, region: str) -> list[dict[str, Any]]:
    """Each word must appear in the name, e-mail or user id, or (a word of three or more
    digits and phone punctuation) in the phone; a whole phone number, spaced or not, is
    compared as its E.164 form."""
    if _phone_like(text.strip()):
        parsed = Phone.parse(text, region=region)
        number = parsed.unwrap().e164 if isinstance(parsed, Success) else text
        digits = "".join(ch for ch in number if ch.isdigit())
        return [{"field": "contact.phone", "op": "contains", "value": digits}]
    terms = []
    for word in text.split():
        fields = ["contact.first_name", "contact.last_name", "contact.email", "contact.user_id"]
        either: list[dict[str, Any]] = [
            {"field": f, "op": "contains", "value": word} for f in fields
        ]
        if _phone_like(word):
            digits = "".join(ch for ch in word if ch.isdigit())
            either.append({"field": "contact.phone", "op": "contains", "value": digits})
        terms.append({"or": either})
    return terms


def find_contacts(
    app: App,
    *,
    search: str | None = None,
    segment: str | None = None,
    lifecycle: str | None = None,
    owner: str | None = None,
    account: str | None = None,
    account_id: AccountId | None = None,
    limit: int | None = None,
    offset: int = 0,
    after: UUID | None = None,
) -> Result[ContactPage, AppError]:
    """Active contacts matching every given filter, in id (creation) order, one page of
    them: ``search`` (each word in the name, e-mail, user id or phone), a saved
    ``segment``'s filter, ``lifecycle``, ``owner`` (who holds the loyalty card),
    ``account`` (by name) or ``account_id``."""

    def work(uow: UnitOfWork) -> Result[ContactPage, AppError]:
        parts: list[Any] = [{"field": "contact.archived", "op": "eq", "value": False}]
        if search and search.strip():
            parts.extend(_search_terms(search, app.settings.default_region))
        if lifecycle:
            parts.append({"field": "contact.lifecycle", "op": "eq", "value": lifecycle})
        if owner:
            parts.append({"field": "card.owner", "op": "eq", "value": owner})
        if account_id is not None:
            found = uow.accounts.get(account_id)
            if found is None:
                return Failure(NotFound(kind="account", key=str(account_id)))
            account_name: str | None = found.name
        else:
            account_name = account
        if account_name:
            parts.append({"field": "account.name", "op": "eq", "value": account_name})
        if segment:
            saved = uow.segments.get_by_name(segment)
            if saved is None:
                return Failure(NotFound(kind="segment", key=segment))
            parts.append(dict(saved.filter))
        parsed = parse_filter({"and": parts})
        if isinstance(parsed, Failure):
            return Failure(parsed.failure())
        ids = uow.audience.members(parsed.unwrap(), now=app.clock.now())
        if after is not None:  # a keyset page: the members past ``after`` (ids are ordered)
            ids = ids[bisect.bisect_right(ids, after) :]
        end = None if limit is None else offset + limit
        page = uow.contacts.get_many(list(ids[offset:end]))
        return Success(ContactPage(contacts=page, total=len(ids), offset=offset))

    return transact(app, work)


def resolve_contact(app: App, key: str) -> Result[Contact, AppError]:
    """The contact a key names: its UUID, e-mail, user id or phone (one match only)."""

    def work(uow: UnitOfWork) -> Result[Contact, AppError]:
        raw = key.strip()
        try:
            by_id = uow.contacts.get(ContactId(UUID(raw)))
        except ValueError:
            by_id = None
        for _ in range(10):  # a merged-away contact resolves to the one it went into
            target = merged_into(by_id) if by_id is not None else None
            kept = uow.contacts.get(target) if target is not None else None
            if kept is None:
                break
            by_id = kept
        if by_id is not None:
            return Success(by_id)
        if "@" in raw:
            email = Email.parse(raw)
            if isinstance(email, Success):
                found = next(iter(uow.contacts.find_many(emails=[email.unwrap()])), None)
                if found is not None:
                    return Success(found)
        by_user = next(iter(uow.contacts.find_many(user_ids=[raw])), None)
        if by_user is not None:
            return Success(by_user)
        phone = Phone.parse(raw, region=app.settings.default_region)
        if isinstance(phone, Success):
            matches = uow.contacts.find_many(phones=[phone.unwrap()])
            if len(matches) > 1:
                ids = ", ".join(str(c.id) for c in matches)
                return Failure(Conflict(detail=f"{len(matches)} contacts have {raw}: {ids}"))
            if matches:
                return Success(matches[0])
        return Failure(NotFound(kind="contact", key=raw))

    return transact(app, work)

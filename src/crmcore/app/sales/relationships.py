"""Use cases of relationship mapping (C2): relate a contact to an account or a contact,
list a contact's relationships, an account's decision-making unit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.domain.contact import Contact
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.relationships import RelationRole, Relationship, decision_making_unit
from crmcore.ports.uow import UnitOfWork


def _invalid(field: str, value: str, reason: str) -> Failure[InvalidInput]:
    return Failure(InvalidInput(errors=(FieldError(field=field, value=value, reason=reason),)))


def relate(
    app: App,
    contact_id: ContactId,
    *,
    role: str,
    account_id: AccountId | None = None,
    other_contact_id: ContactId | None = None,
    note: str = "",
) -> Result[Relationship, AppError]:
    """Record that the contact plays ``role`` for an account or another contact."""
    try:
        parsed = RelationRole(role)
    except ValueError:
        roles = ", ".join(r.value for r in RelationRole)
        return _invalid("role", role, f"must be one of {roles}")
    if (account_id is None) == (other_contact_id is None):
        return _invalid("target", "", "give exactly one of an account or a contact")
    if other_contact_id == contact_id:
        return _invalid("contact", str(contact_id), "a contact cannot be related to itself")
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[Relationship, AppError]:
        for kind, key, found in (
            ("contact", contact_id, uow.contacts.get(contact_id)),
            ("account", account_id, uow.accounts.get(account_id) if account_id else True),
            (
                "contact",
                other_contact_id,
                uow.contacts.get(other_contact_id) if other_contact_id else True,
            ),
        ):
            if found is None:
                return Failure(NotFound(kind=kind, key=str(key)))
        relationship = Relationship(
            id=app.ids.new(),
            contact_id=contact_id,
            role=parsed,
            account_id=account_id,
            other_contact_id=other_contact_id,
            note=note,
            created_at=now,
        )
        uow.relationships.add(relationship)
        return Success(relationship)

    return transact(app, work)


def unrelate(app: App, relationship_id: UUID) -> Result[Relationship, AppError]:
    """Remove a relationship."""

    def work(uow: UnitOfWork) -> Result[Relationship, AppError]:
        found = uow.relationships.get(relationship_id)
        if found is None:
            return Failure(NotFound(kind="relationship", key=str(relationship_id)))
        uow.relationships.remove(relationship_id)
        return Success(found)

    return transact(app, work)


def relationships_of(app: App, contact_id: ContactId) -> Result[Sequence[Relationship], AppError]:
    """Every relationship the contact is on, oldest first."""
    return transact(app, lambda uow: Success(uow.relationships.for_contact(contact_id)))


@attrs.frozen(kw_only=True)
class UnitMember:
    """One member of a decision-making unit."""

    contact: Contact
    relationship: Relationship


def account_unit(app: App, account_id: AccountId) -> Result[Sequence[UnitMember], AppError]:
    """The account's decision-making unit: its related contacts by role."""

    def work(uow: UnitOfWork) -> Result[Sequence[UnitMember], AppError]:
        unit = decision_making_unit(uow.relationships.for_account(account_id), account_id)
        contacts = {c.id: c for c in uow.contacts.get_many([r.contact_id for r in unit])}
        return Success(
            [
                UnitMember(contact=contacts[r.contact_id], relationship=r)
                for r in unit
                if r.contact_id in contacts
            ]
        )

    return transact(app, work)

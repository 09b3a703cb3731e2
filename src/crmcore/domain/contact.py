"""Contacts: people we know, linked to an identity and optionally an account."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

import attrs

from crmcore.domain.email import Email
from crmcore.domain.funnel import FunnelJourney
from crmcore.domain.ids import AccountId, ContactId, LeadId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone


class ContactRole(StrEnum):
    """A contact's role in a b2b decision."""

    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    USER = "user"


class LifecycleStage(StrEnum):
    """Where the contact is in the relationship."""

    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    ADVOCATE = "advocate"


class Channel(StrEnum):
    """Channels a contact can be reached on."""

    EMAIL = "email"
    PUSH = "push"
    MESSENGER = "messenger"
    PHONE = "phone"
    SMS = "sms"
    IN_APP = "in_app"


@attrs.frozen(kw_only=True)
class Contact:
    """A person: identity link, names, reachability, role and lifecycle."""

    id: ContactId
    name: PersonName
    email: Email | None = None
    phone: Phone | None = None
    user_id: str | None = None
    account_id: AccountId | None = None
    role: ContactRole | None = None
    lifecycle: LifecycleStage = LifecycleStage.LEAD
    funnel: FunnelJourney = FunnelJourney()
    preferred_channel: Channel | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    source_lead_id: LeadId | None = None
    archived: bool = False
    created_at: datetime
    updated_at: datetime
    version: int = 0

    def archive(self, *, at: datetime) -> Contact:
        """Soft-delete: hidden from lists, kept for history."""
        return attrs.evolve(self, archived=True, updated_at=at)


class NewContact(NamedTuple):
    """A contact to create from values already validated and normalised (bulk import).

    ``email`` is a normalised address and ``phone`` an E.164 number, exactly what
    :class:`~crmcore.domain.email.Email` and :class:`~crmcore.domain.phone.Phone` hold; a
    plain tuple so that a million of them cost no more than the rows they become.
    :func:`contact_from_new` is the entity it stands for.
    """

    id: ContactId
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    user_id: str | None
    account_id: AccountId | None
    role: ContactRole | None
    preferred_channel: Channel | None
    attributes: dict[str, Any]


def contact_from_new(new: NewContact, *, at: datetime) -> Contact:
    """The contact a :class:`NewContact` created at ``at`` is."""
    return Contact(
        id=new.id,
        name=PersonName(new.first_name, new.last_name),
        email=Email(new.email) if new.email is not None else None,
        phone=Phone(new.phone) if new.phone is not None else None,
        user_id=new.user_id,
        account_id=new.account_id,
        role=new.role,
        preferred_channel=new.preferred_channel,
        attributes=dict(new.attributes),
        created_at=at,
        updated_at=at,
    )

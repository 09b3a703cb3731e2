"""Contacts (C2): people we know, linked to an identity and optionally an account."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

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

"""Erasure on request: personal fields removed, aggregates (status, score, funnel,
amounts, counts) kept so that reports stay true."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

import attrs

from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.lead import Lead
from crmcore.domain.names import PersonName

ERASED_NAME = PersonName("Erased", "")
ERASED_DOMAIN = "erased.invalid"


def erased_email(key: object) -> Email:
    """A unique, undeliverable placeholder address (RFC 2606 ``.invalid``)."""
    return Email(f"erased-{key}@{ERASED_DOMAIN}")


def subject_key(email: Email, *, secret: bytes) -> str:
    """How the audit log names a person without keeping the address: an HMAC-SHA-256 of
    it under the database's own secret, so that holding the address is not enough to
    find the person in the log (an unsalted digest anyone could recompute)."""
    return hmac.new(secret, email.value.encode("utf-8"), hashlib.sha256).hexdigest()


#: What an erased free-text value reads.
ERASED_TEXT = "[erased]"

#: Keys of stored payloads (events, envelopes) whose string values say what happened,
#: not who it happened to: they survive an erasure; every other string is redacted.
STRUCTURAL_KEYS = frozenset(
    {
        "type",
        "version",
        "id",
        "event_id",
        "occurred_at",
        "received_at",
        "at",
        "currency",
        "amount",
        "kind",
        "source",
        "status",
        "stage",
        "from_stage",
        "to_stage",
        "channel",
        "label",
        "level",
        "from_level",
        "to_level",
        "reason",
        "action",
        "form_id",
        "campaign_id",
        "message_id",
        "order_id",
        "aggregate_type",
        "aggregate_id",
        "lead_id",
        "contact_id",
        "deal_id",
        "account_id",
        "card_id",
    }
)


def redact(value: object, *, key: str | None = None) -> object:
    """A stored payload with every string that may name a person replaced by
    :data:`ERASED_TEXT`; numbers, booleans, nulls and :data:`STRUCTURAL_KEYS` stay."""
    if isinstance(value, dict):
        return {k: redact(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key=key) for v in value]
    if isinstance(value, str) and key not in STRUCTURAL_KEYS:
        return ERASED_TEXT
    return value


def mentions(text: str, needles: Iterable[str]) -> bool:
    """Whether ``text`` contains any of ``needles`` (case-insensitive)."""
    low = text.casefold()
    return any(n and n.casefold() in low for n in needles)


def anonymise_lead(lead: Lead, *, at: datetime) -> Lead:
    """The lead without personal data; status, score and engagement stay."""
    return attrs.evolve(
        lead,
        email=erased_email(lead.id.hex),
        name=ERASED_NAME,
        phone=None,
        company=None,
        job_title=None,
        source_detail=None,
        qualification=None,
        disqualify_reason=None,
        metadata={},
        updated_at=at,
    )


def anonymise_contact(contact: Contact, *, at: datetime) -> Contact:
    """The contact without personal data, archived; lifecycle and funnel stay."""
    return attrs.evolve(
        contact,
        name=ERASED_NAME,
        email=erased_email(contact.id.hex),
        phone=None,
        user_id=None,
        preferred_channel=None,
        attributes={},
        archived=True,
        updated_at=at,
    )


def anonymise_activity(activity: Activity) -> Activity:
    """The activity's free text removed (it may name the person); type and dates stay."""
    return attrs.evolve(activity, subject="[erased]", description="")

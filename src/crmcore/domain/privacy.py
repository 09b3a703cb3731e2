"""Erasure on request: personal fields removed, aggregates (status, score, funnel,
amounts, counts) kept so that reports stay true."""

from __future__ import annotations

import hashlib
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


def subject_key(email: Email) -> str:
    """How the audit log names a person without keeping the address: a SHA-256 digest."""
    return hashlib.sha256(email.value.encode("utf-8")).hexdigest()


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

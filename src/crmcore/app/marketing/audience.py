"""Who a campaign reaches, and what a template sees of each of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.errors import AppError, NotFound
from crmcore.domain.abtest import HELD, assign
from crmcore.domain.account import Account
from crmcore.domain.campaign import Campaign
from crmcore.domain.contact import Contact
from crmcore.domain.filters import parse_filter
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty_metrics import CustomerFacts
from crmcore.domain.rfm import RfmSegment
from crmcore.ports.uow import UnitOfWork


def audience(uow: UnitOfWork, segment: str, *, now: datetime) -> Result[list[ContactId], AppError]:
    """The contacts of a saved segment (by name), else of an RFM segment (``vip``,
    ``at_risk``, ...), ordered by id."""
    saved = uow.segments.get_by_name(segment)
    if saved is not None:
        parsed = parse_filter(saved.filter)
        if isinstance(parsed, Failure):
            return Failure(parsed.failure())
        return Success(sorted(uow.audience.members(parsed.unwrap(), now=now), key=str))
    key = segment.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        rfm = RfmSegment(key)
    except ValueError:
        return Failure(NotFound(kind="segment (saved or RFM)", key=segment))
    rows = uow.transactions.rfm(as_of=now.date())
    return Success(sorted((r.customer for r in rows if r.segment is rfm), key=str))


def variant_for(campaign: Campaign, contact_id: UUID) -> str:
    """The variant a contact gets: the A/B split (``HELD`` for the part that waits for
    the winner, or the winner once there is one)."""
    variant = assign(campaign.id, contact_id, list(campaign.variants),
                     test_share=campaign.ab.test_share)  # fmt: skip
    return campaign.winner if variant == HELD and campaign.winner else variant


@attrs.frozen(kw_only=True)
class Recipient:
    """A contact with what its templates may reference."""

    contact: Contact
    account: Account | None
    facts: CustomerFacts


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def template_context(r: Recipient, unsubscribe_url: str, *, facts: bool = True) -> dict[str, Any]:
    """What a template sees: ``contact``, ``account``, ``facts`` and ``unsubscribe_url``
    (``facts=False``: an empty ``facts``, for templates that do not name it).

    Absent values are empty strings (``contact.phone`` of a contact without one), so that
    only a name the data does not have at all is a missing variable.
    """
    c = r.contact
    contact: dict[str, Any] = {k: _plain(v) for k, v in c.attributes.items()}
    contact.update(
        id=str(c.id),
        first_name=c.name.first,
        last_name=c.name.last,
        full_name=c.name.full,
        email=str(c.email) if c.email else "",
        phone=c.phone.e164 if c.phone else "",
        user_id=c.user_id or "",
        lifecycle=c.lifecycle.value,
        funnel_stage=c.funnel.stage.value,
        role=c.role.value if c.role else "",
        preferred_channel=c.preferred_channel.value if c.preferred_channel else "",
        attributes=dict(c.attributes),
    )
    account: dict[str, Any] = {}
    if r.account is not None:
        a = r.account
        account = {k: _plain(v) for k, v in a.attributes.items()}
        account.update(
            id=str(a.id),
            name=a.name,
            type=a.type.value,
            industry=a.industry or "",
            size_range=a.size_range or "",
            website=a.website or "",
            region=a.region or "",
        )
    known: dict[str, Any] = {}
    if facts:
        f = r.facts
        known = {name: _plain(getattr(f, name)) for name in attrs.fields_dict(type(f))}
        known["revenue"] = float(f.revenue)
    return {
        "contact": contact,
        "account": account,
        "facts": known,
        "unsubscribe_url": unsubscribe_url,
    }


_NO_FACTS = CustomerFacts()


def recipients(
    uow: UnitOfWork, ids: Sequence[ContactId], *, facts: bool = True
) -> Mapping[ContactId, Recipient]:
    """The recipients among ``ids`` that are stored (archived ones left out); with
    ``facts=False`` their loyalty facts are not read (left empty)."""
    contacts = [c for c in uow.contacts.get_many(ids) if not c.archived]
    accounts: dict[Any, Account | None] = {}
    for c in contacts:
        if c.account_id is not None and c.account_id not in accounts:
            accounts[c.account_id] = uow.accounts.get(c.account_id)
    known = uow.loyalty_facts.get_many([c.id for c in contacts]) if facts else {}
    return {
        c.id: Recipient(
            contact=c,
            account=accounts.get(c.account_id) if c.account_id is not None else None,
            facts=known.get(c.id, _NO_FACTS),
        )
        for c in contacts
    }


def missing_reference(context: Mapping[str, Any], references: frozenset[str]) -> str | None:
    """The first dotted reference (sorted) the context does not have, or None."""
    for ref in sorted(references):
        value: Any = context
        for part in ref.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                return ref
    return None

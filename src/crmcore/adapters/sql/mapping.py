"""Rows ↔ domain objects.

``*_row`` functions give the column values of an entity (without ``version``, which the
unit of work owns); ``*_from`` functions build the entity from a row mapping. An entity
whose attributes are its columns maps through :func:`fields_row` and :func:`fields_from`;
the others are written out field by field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

import attrs

from crmcore.domain.account import Account, AccountType
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Channel, Contact, ContactRole, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.funnel import FunnelJourney, FunnelStage, StageEntry
from crmcore.domain.ids import AccountId, ContactId, LeadId
from crmcore.domain.lead import (
    Engagement,
    Firmographics,
    Lead,
    LeadSource,
    LeadStatus,
    Qualification,
)
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal, DealStage, StageChange

Row = Mapping[Any, Any]
A = TypeVar("A", bound=attrs.AttrsInstance)


def fields_row(
    entity: attrs.AttrsInstance, *, renamed: Mapping[str, str | None] = {}, **columns: Any
) -> dict[str, Any]:
    """The column values of an entity, one per attribute (an enum as its value, no
    ``version``): ``renamed`` gives the column of an attribute stored under another name
    (``None``: not stored here); ``columns`` add or replace values."""
    row: dict[str, Any] = {}
    for f in attrs.fields(type(entity)):
        name = renamed.get(f.name, f.name)
        if name is not None and f.name != "version":
            value = getattr(entity, f.name)
            row[name] = value.value if isinstance(value, Enum) else value
    row.update(columns)
    return row


def fields_from(cls: type[A], row: Row, *, renamed: Mapping[str, str] = {}, **values: Any) -> A:
    """An entity of ``cls`` from its row, each attribute from the column of its name or
    the one ``renamed`` gives; ``values`` give the attributes that need a conversion
    (enums, JSON) or come from elsewhere."""
    for f in attrs.fields(cls):
        if f.name not in values:
            values[f.name] = row[renamed.get(f.name, f.name)]
    return cls(**values)


def _email(value: str | None) -> Email | None:
    return Email(value) if value is not None else None


def _phone(value: str | None) -> Phone | None:
    return Phone(value) if value is not None else None


# -- leads -------------------------------------------------------------------------------


def lead_row(lead: Lead) -> dict[str, Any]:
    """The column values of a lead."""
    firm, eng, qual = lead.firmographics, lead.engagement, lead.qualification
    return {
        "id": lead.id,
        "first_name": lead.name.first,
        "last_name": lead.name.last,
        "email": lead.email.value,
        "phone": lead.phone.e164 if lead.phone else None,
        "company": lead.company,
        "job_title": lead.job_title,
        "source": lead.source.value,
        "source_detail": lead.source_detail,
        "status": lead.status.value,
        "score": lead.score,
        "assigned_to": lead.assignee,
        "company_size": firm.company_size,
        "industry": firm.industry,
        "budget": firm.budget,
        "region": firm.region,
        "page_views": eng.page_views,
        "downloads": eng.downloads,
        "email_opens": eng.email_opens,
        "email_clicks": eng.email_clicks,
        "events_attended": eng.events_attended,
        "last_engaged_at": eng.last_engaged_at,
        "qualification": (
            {"fit": qual.fit, "budget": qual.budget, "timeline": qual.timeline} if qual else None
        ),
        "disqualify_reason": lead.disqualify_reason,
        "metadata": lead.metadata,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


def lead_from(row: Row) -> Lead:
    """A lead from its row."""
    qual = row["qualification"]
    return Lead(
        id=LeadId(row["id"]),
        email=Email(row["email"]),
        name=PersonName(row["first_name"], row["last_name"]),
        phone=_phone(row["phone"]),
        company=row["company"],
        job_title=row["job_title"],
        source=LeadSource(row["source"]),
        source_detail=row["source_detail"],
        status=LeadStatus(row["status"]),
        score=row["score"],
        assignee=row["assigned_to"],
        firmographics=Firmographics(
            company_size=row["company_size"],
            industry=row["industry"],
            budget=row["budget"],
            region=row["region"],
        ),
        engagement=Engagement(
            page_views=row["page_views"],
            downloads=row["downloads"],
            email_opens=row["email_opens"],
            email_clicks=row["email_clicks"],
            events_attended=row["events_attended"],
            last_engaged_at=row["last_engaged_at"],
        ),
        qualification=Qualification(**qual) if qual else None,
        disqualify_reason=row["disqualify_reason"],
        metadata=dict(row["metadata"] or {}),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


# -- contacts ----------------------------------------------------------------------------


def _funnel_history(journey: FunnelJourney) -> list[dict[str, str]]:
    return [{"stage": e.stage.value, "at": e.at.isoformat()} for e in journey.history]


def _funnel_from(stage: str, history: Sequence[Mapping[str, str]]) -> FunnelJourney:
    return FunnelJourney(
        stage=FunnelStage(stage),
        history=tuple(
            StageEntry(stage=FunnelStage(e["stage"]), at=datetime.fromisoformat(e["at"]))
            for e in history
        ),
    )


def contact_row(contact: Contact) -> dict[str, Any]:
    """The column values of a contact."""
    return {
        "id": contact.id,
        "user_id": contact.user_id,
        "account_id": contact.account_id,
        "first_name": contact.name.first,
        "last_name": contact.name.last,
        "email": contact.email.value if contact.email else None,
        "phone": contact.phone.e164 if contact.phone else None,
        "role": contact.role.value if contact.role else None,
        "lifecycle_stage": contact.lifecycle.value,
        "funnel_stage": contact.funnel.stage.value,
        "funnel_history": _funnel_history(contact.funnel),
        "preferred_channel": contact.preferred_channel.value if contact.preferred_channel else None,
        "attributes": contact.attributes,
        "source_lead_id": contact.source_lead_id,
        "archived": contact.archived,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def contact_from(row: Row) -> Contact:
    """A contact from its row."""
    return Contact(
        id=ContactId(row["id"]),
        name=PersonName(row["first_name"], row["last_name"]),
        email=_email(row["email"]),
        phone=_phone(row["phone"]),
        user_id=row["user_id"],
        account_id=AccountId(row["account_id"]) if row["account_id"] else None,
        role=ContactRole(row["role"]) if row["role"] else None,
        lifecycle=LifecycleStage(row["lifecycle_stage"]),
        funnel=_funnel_from(row["funnel_stage"], row["funnel_history"] or ()),
        preferred_channel=Channel(row["preferred_channel"]) if row["preferred_channel"] else None,
        attributes=dict(row["attributes"] or {}),
        source_lead_id=LeadId(row["source_lead_id"]) if row["source_lead_id"] else None,
        archived=bool(row["archived"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


# -- accounts ----------------------------------------------------------------------------


def account_row(account: Account) -> dict[str, Any]:
    """The column values of an account."""
    return fields_row(account, renamed=_ACCOUNT, name_key=account.name.casefold())


def account_from(row: Row) -> Account:
    """An account from its row."""
    attributes = dict(row["attributes"] or {})
    return fields_from(
        Account, row, renamed=_ACCOUNT, type=AccountType(row["type"]), attributes=attributes
    )


_ACCOUNT = {"size_range": "size"}


# -- deals -------------------------------------------------------------------------------


#: Deal attributes stored under other names (the history has its own table).
_DEAL: dict[str, str | None] = {
    "expected_close": "expected_close_date",
    "actual_close": "actual_close_date",
    "owner": "owner_id",
    "history": None,
}


def deal_row(deal: Deal) -> dict[str, Any]:
    """The column values of a deal (its history goes to ``deal_stage_history``)."""
    money = deal.amount
    return fields_row(deal, renamed=_DEAL, amount=money.amount, currency=money.currency)


def history_rows(deal_id: UUID, history: Sequence[StageChange], start: int) -> list[dict[str, Any]]:
    """Stage-history rows from position ``start`` on."""
    return [
        {
            "deal_id": deal_id,
            "seq": seq,
            "from_stage": change.from_stage.value if change.from_stage else None,
            "to_stage": change.to_stage.value,
            "at": change.at,
        }
        for seq, change in enumerate(history)
        if seq >= start
    ]


def change_from(row: Row) -> StageChange:
    """One stage change from its row."""
    return StageChange(
        from_stage=DealStage(row["from_stage"]) if row["from_stage"] else None,
        to_stage=DealStage(row["to_stage"]),
        at=row["at"],
    )


def deal_from(row: Row, history: Sequence[StageChange]) -> Deal:
    """A deal from its row and its ordered stage history."""
    return fields_from(
        Deal,
        row,
        renamed={k: v for k, v in _DEAL.items() if v is not None},
        amount=Money(row["amount"], row["currency"]),
        stage=DealStage(row["stage"]),
        history=tuple(history),
        metadata=dict(row["metadata"] or {}),
    )


# -- activities --------------------------------------------------------------------------


_ACTIVITY = {"actor": "user_id", "due_at": "due_date"}


def activity_row(activity: Activity) -> dict[str, Any]:
    """The column values of an activity."""
    completed = activity.completed_at is not None
    return fields_row(activity, renamed=_ACTIVITY, completed=completed)


def activity_from(row: Row) -> Activity:
    """An activity from its row."""
    return fields_from(Activity, row, renamed=_ACTIVITY, type=ActivityType(row["type"]))

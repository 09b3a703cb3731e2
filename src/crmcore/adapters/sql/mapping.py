"""Rows ↔ domain objects, written out field by field.

``*_row`` functions give the column values of an entity (without ``version``, which the
unit of work owns); ``*_from`` functions build the entity from a row mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from crmcore.domain.account import Account, AccountType
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Channel, Contact, ContactRole, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.funnel import FunnelJourney, FunnelStage, StageEntry
from crmcore.domain.ids import AccountId, ActivityId, ContactId, DealId, LeadId
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
    return {
        "id": account.id,
        "name": account.name,
        "name_key": account.name.casefold(),
        "type": account.type.value,
        "industry": account.industry,
        "size": account.size_range,
        "website": account.website,
        "region": account.region,
        "billing_address": account.billing_address,
        "attributes": account.attributes,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


def account_from(row: Row) -> Account:
    """An account from its row."""
    return Account(
        id=AccountId(row["id"]),
        name=row["name"],
        type=AccountType(row["type"]),
        industry=row["industry"],
        size_range=row["size"],
        website=row["website"],
        region=row["region"],
        billing_address=row["billing_address"],
        attributes=dict(row["attributes"] or {}),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


# -- deals -------------------------------------------------------------------------------


def deal_row(deal: Deal) -> dict[str, Any]:
    """The column values of a deal (its history goes to ``deal_stage_history``)."""
    return {
        "id": deal.id,
        "account_id": deal.account_id,
        "contact_id": deal.contact_id,
        "title": deal.title,
        "amount": deal.amount.amount,
        "currency": deal.amount.currency,
        "stage": deal.stage.value,
        "probability": deal.probability,
        "expected_close_date": deal.expected_close,
        "actual_close_date": deal.actual_close,
        "owner_id": deal.owner,
        "lost_reason": deal.lost_reason,
        "metadata": deal.metadata,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


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
    return Deal(
        id=DealId(row["id"]),
        title=row["title"],
        amount=Money(row["amount"], row["currency"]),
        account_id=AccountId(row["account_id"]) if row["account_id"] else None,
        contact_id=ContactId(row["contact_id"]) if row["contact_id"] else None,
        stage=DealStage(row["stage"]),
        probability=row["probability"],
        expected_close=row["expected_close_date"],
        actual_close=row["actual_close_date"],
        owner=row["owner_id"],
        lost_reason=row["lost_reason"],
        history=tuple(history),
        metadata=dict(row["metadata"] or {}),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


# -- activities --------------------------------------------------------------------------


def activity_row(activity: Activity) -> dict[str, Any]:
    """The column values of an activity."""
    return {
        "id": activity.id,
        "type": activity.type.value,
        "subject": activity.subject,
        "description": activity.description,
        "lead_id": activity.lead_id,
        "contact_id": activity.contact_id,
        "deal_id": activity.deal_id,
        "user_id": activity.actor,
        "completed": activity.completed_at is not None,
        "due_date": activity.due_at,
        "completed_at": activity.completed_at,
        "created_at": activity.created_at,
    }


def activity_from(row: Row) -> Activity:
    """An activity from its row."""
    return Activity(
        id=ActivityId(row["id"]),
        type=ActivityType(row["type"]),
        subject=row["subject"],
        description=row["description"],
        lead_id=LeadId(row["lead_id"]) if row["lead_id"] else None,
        contact_id=ContactId(row["contact_id"]) if row["contact_id"] else None,
        deal_id=DealId(row["deal_id"]) if row["deal_id"] else None,
        actor=row["user_id"],
        due_at=row["due_date"],
        completed_at=row["completed_at"],
        created_at=row["created_at"],
        version=row["version"],
    )

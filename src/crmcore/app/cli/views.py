"""The documented field names of every record the CLI prints (scripts depend on them).

Each ``*_FIELDS`` tuple is the column order of table, JSON and CSV output; each ``*_row``
turns a domain object into a mapping with exactly those keys. Contact, lead and account
CSV exports use the import column names, so an export can be imported back.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from crmcore.app.sales.deals import StageSummary
from crmcore.domain.account import Account
from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact
from crmcore.domain.lead import Lead
from crmcore.domain.pipeline import Deal

LEAD_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
    "source",
    "source_detail",
    "status",
    "score",
    "assignee",
    "created_at",
)
LEAD_DETAIL_FIELDS = (
    *LEAD_FIELDS,
    "company_size",
    "industry",
    "budget",
    "region",
    "qualification",
    "disqualify_reason",
    "metadata",
    "updated_at",
)


def lead_row(lead: Lead) -> dict[str, Any]:
    """A lead as a flat record."""
    q = lead.qualification
    return {
        "id": lead.id,
        "email": lead.email.value,
        "first_name": lead.name.first,
        "last_name": lead.name.last,
        "phone": lead.phone.e164 if lead.phone else None,
        "company": lead.company,
        "job_title": lead.job_title,
        "source": lead.source,
        "source_detail": lead.source_detail,
        "status": lead.status,
        "score": lead.score,
        "assignee": lead.assignee,
        "created_at": lead.created_at,
        "company_size": lead.firmographics.company_size,
        "industry": lead.firmographics.industry,
        "budget": lead.firmographics.budget,
        "region": lead.firmographics.region,
        "qualification": (
            {"fit": q.fit, "budget": q.budget, "timeline": q.timeline} if q else None
        ),
        "disqualify_reason": lead.disqualify_reason,
        "metadata": lead.metadata,
        "updated_at": lead.updated_at,
    }


CONTACT_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "user_id",
    "account_id",
    "role",
    "lifecycle",
    "preferred_channel",
    "archived",
    "created_at",
)
CONTACT_DETAIL_FIELDS = (*CONTACT_FIELDS, "funnel_stage", "attributes", "updated_at")


def contact_row(contact: Contact) -> dict[str, Any]:
    """A contact as a flat record."""
    return {
        "id": contact.id,
        "first_name": contact.name.first,
        "last_name": contact.name.last,
        "email": contact.email.value if contact.email else None,
        "phone": contact.phone.e164 if contact.phone else None,
        "user_id": contact.user_id,
        "account_id": contact.account_id,
        "role": contact.role,
        "lifecycle": contact.lifecycle,
        "preferred_channel": contact.preferred_channel,
        "archived": contact.archived,
        "created_at": contact.created_at,
        "funnel_stage": contact.funnel.stage,
        "attributes": contact.attributes,
        "updated_at": contact.updated_at,
    }


ACCOUNT_FIELDS = (
    "id",
    "name",
    "type",
    "industry",
    "size_range",
    "website",
    "region",
    "billing_address",
    "created_at",
)
ACCOUNT_DETAIL_FIELDS = (*ACCOUNT_FIELDS, "attributes", "updated_at")


def account_row(account: Account) -> dict[str, Any]:
    """An account as a flat record."""
    return {
        "id": account.id,
        "name": account.name,
        "type": account.type,
        "industry": account.industry,
        "size_range": account.size_range,
        "website": account.website,
        "region": account.region,
        "billing_address": account.billing_address,
        "created_at": account.created_at,
        "attributes": account.attributes,
        "updated_at": account.updated_at,
    }


DEAL_FIELDS = (
    "id",
    "title",
    "stage",
    "amount",
    "currency",
    "probability",
    "weighted",
    "expected_close",
    "actual_close",
    "owner",
    "account_id",
    "contact_id",
    "lost_reason",
)
DEAL_DETAIL_FIELDS = (*DEAL_FIELDS, "external_id", "history", "created_at", "updated_at")
SLIPPING_FIELDS = (*DEAL_FIELDS[:9], "days_overdue")


def deal_row(deal: Deal) -> dict[str, Any]:
    """A deal as a flat record."""
    return {
        "id": deal.id,
        "title": deal.title,
        "stage": deal.stage,
        "amount": deal.amount.amount,
        "currency": deal.amount.currency,
        "probability": deal.probability,
        "weighted": cents(deal.weighted_amount.amount),
        "expected_close": deal.expected_close,
        "actual_close": deal.actual_close,
        "owner": deal.owner,
        "account_id": deal.account_id,
        "contact_id": deal.contact_id,
        "lost_reason": deal.lost_reason,
        "external_id": deal.metadata.get("external_id"),
        "history": [f"{h.from_stage or '-'}→{h.to_stage} {h.at.isoformat()}" for h in deal.history],
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


def cents(value: Decimal) -> Decimal:
    """A money amount to two decimal places (forecasts are products of probabilities).

    An amount stored before money had bounds (``1e30``) is shown as it is rather than
    failing the whole listing."""
    try:
        return value.quantize(Decimal("0.01"))
    except InvalidOperation:
        return value


PIPELINE_FIELDS = ("stage", "currency", "deals", "amount", "probability", "forecast")


def pipeline_row(row: StageSummary, probability: int) -> dict[str, Any]:
    """One stage of the pipeline view."""
    return {
        "stage": row.stage,
        "currency": row.currency,
        "deals": row.deals,
        "amount": row.amount,
        "probability": probability,
        "forecast": cents(row.weighted),
    }


ACTIVITY_FIELDS = (
    "id",
    "type",
    "subject",
    "lead_id",
    "contact_id",
    "deal_id",
    "actor",
    "due_at",
    "completed_at",
    "created_at",
)


def activity_row(activity: Activity) -> dict[str, Any]:
    """An activity or task as a flat record."""
    return {
        "id": activity.id,
        "type": activity.type,
        "subject": activity.subject,
        "description": activity.description,
        "lead_id": activity.lead_id,
        "contact_id": activity.contact_id,
        "deal_id": activity.deal_id,
        "actor": activity.actor,
        "due_at": activity.due_at,
        "completed_at": activity.completed_at,
        "created_at": activity.created_at,
    }

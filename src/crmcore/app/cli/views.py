"""The documented field names of every record the CLI prints (scripts depend on them).

Each ``*_FIELDS`` tuple is the column order of table, JSON and CSV output; each ``*_row``
turns a domain object into a mapping with exactly those keys. Contact, lead and account
CSV exports use the import column names, so an export can be imported back.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from crmcore.app.sales.deals import StageSummary
from crmcore.domain.account import Account
from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact
from crmcore.domain.lead import Lead
from crmcore.domain.pipeline import Deal


def record(obj: object, fields: Sequence[str], **given: Any) -> dict[str, Any]:
    """``obj`` as a flat record of ``fields``: each the attribute of that name, unless
    ``given`` holds a value for it."""
    return {f: given[f] if f in given else getattr(obj, f) for f in fields}


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
    firm = lead.firmographics
    return record(
        lead,
        LEAD_DETAIL_FIELDS,
        email=lead.email.value,
        first_name=lead.name.first,
        last_name=lead.name.last,
        phone=lead.phone.e164 if lead.phone else None,
        company_size=firm.company_size,
        industry=firm.industry,
        budget=firm.budget,
        region=firm.region,
        qualification={"fit": q.fit, "budget": q.budget, "timeline": q.timeline} if q else None,
    )


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
    return record(
        contact,
        CONTACT_DETAIL_FIELDS,
        first_name=contact.name.first,
        last_name=contact.name.last,
        email=contact.email.value if contact.email else None,
        phone=contact.phone.e164 if contact.phone else None,
        funnel_stage=contact.funnel.stage,
    )


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
    return record(account, ACCOUNT_DETAIL_FIELDS)


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
    return record(
        deal,
        DEAL_DETAIL_FIELDS,
        amount=deal.amount.amount,
        currency=deal.amount.currency,
        weighted=cents(deal.weighted_amount.amount),
        external_id=deal.metadata.get("external_id"),
        history=[f"{h.from_stage or '-'}→{h.to_stage} {h.at.isoformat()}" for h in deal.history],
    )


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
    return record(row, PIPELINE_FIELDS, probability=probability, forecast=cents(row.weighted))


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
    return record(activity, (*ACTIVITY_FIELDS, "description"))

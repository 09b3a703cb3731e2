"""``crm leads``: capture, list, show, qualify, disqualify, reopen, convert, set-score
(``rescore`` for all leads lives in :mod:`crmcore.app.cli.leads_rescore`; main adds it)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.paging import Paging, list_rows, page_options
from crmcore.app.cli.render import render_one
from crmcore.app.cli.views import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    DEAL_FIELDS,
    LEAD_DETAIL_FIELDS,
    LEAD_FIELDS,
    account_row,
    contact_row,
    deal_row,
    lead_row,
)
from crmcore.app.intelligence.lead_scores import rescore_lead
from crmcore.app.sales.leads import (
    capture_lead,
    convert_lead,
    count_leads,
    disqualify_lead,
    get_lead,
    list_leads,
    qualify_lead,
    reopen_lead,
)
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead, LeadSource, LeadStatus


@click.group()
def leads() -> None:
    """Leads: people who left their details."""


def _show(ctx: click.Context, lead: Lead) -> None:
    render_one(lead_row(lead), LEAD_FIELDS, state_from(ctx).fmt)


@leads.command()
@click.option("--email", required=True, help="E-mail (unique).")
@click.option(
    "--first-name",
    default="",
    help="First name; required unless --last-name is given (a lead needs a name).",
)
@click.option("--last-name", default="", help="Last name.")
@click.option("--phone", default=None, help="Phone; local numbers use the default region.")
@click.option("--company", default=None, help="Company the lead works for.")
@click.option("--job-title", default=None, help="The lead's job title.")
@click.option(
    "--source",
    type=click.Choice([s.value for s in LeadSource]),
    default="api",
    show_default=True,
    help="Channel the lead came from.",
)
@click.option("--source-detail", default=None, help="Sub-channel (webinar, ad network...).")
@click.option(
    "--company-size",
    type=click.IntRange(min=0),
    default=None,
    help="Employees at the lead's company (counts toward the lead score).",
)
@click.option(
    "--industry",
    default=None,
    help="Industry of the lead's company (counts toward the lead score).",
)
@click.option("--budget", default=None, help="Decimal amount.")
@click.option("--region", default=None, help="Region the lead is in (free text).")
@click.pass_context
def capture(
    ctx: click.Context,
    email: str,
    first_name: str,
    last_name: str,
    phone: str | None,
    company: str | None,
    job_title: str | None,
    source: str,
    source_detail: str | None,
    company_size: int | None,
    industry: str | None,
    budget: str | None,
    region: str | None,
) -> None:
    """Capture a new lead (every field error is reported at once)."""
    lead = unwrap(
        capture_lead(
            app_from(ctx),
            email=email,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            company=company,
            job_title=job_title,
            source=source,
            source_detail=source_detail,
            company_size=company_size,
            industry=industry,
            budget=budget,
            region=region,
        )
    )
    _show(ctx, lead)


@leads.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in LeadStatus]),
    default=None,
    help="Only leads in this status [default: every status].",
)
@page_options
@click.pass_context
def list_(ctx: click.Context, status: str | None, page: Paging) -> None:
    """List leads in creation order, a page at a time."""
    app = app_from(ctx)
    wanted = LeadStatus(status) if status else None

    def fetch(start: int, count: int) -> list[dict[str, Any]]:
        found = unwrap(list_leads(app, status=wanted, limit=count, offset=start))
        return [lead_row(r) for r in found]

    list_rows(
        ctx,
        fetch,
        LEAD_FIELDS,
        page,
        priority=("email", "first_name", "last_name", "status", "score", "source", "id"),
        title="leads",
        total=lambda: unwrap(count_leads(app, status=wanted)),
    )


@leads.command()
@click.argument("lead_id", type=click.UUID)
@click.pass_context
def show(ctx: click.Context, lead_id: UUID) -> None:
    """Show one lead with its scoring inputs and qualification."""
    lead = unwrap(get_lead(app_from(ctx), LeadId(lead_id)))
    render_one(lead_row(lead), LEAD_DETAIL_FIELDS, state_from(ctx).fmt)


@leads.command()
@click.argument("lead_id", type=click.UUID)
@click.option("--fit", required=True, help="Why the lead fits.")
@click.option("--budget", required=True, help="The budget confirmed.")
@click.option("--timeline", required=True, help="When they intend to buy.")
@click.pass_context
def qualify(ctx: click.Context, lead_id: UUID, fit: str, budget: str, timeline: str) -> None:
    """Record the qualification call and qualify the lead."""
    lead = unwrap(
        qualify_lead(app_from(ctx), LeadId(lead_id), fit=fit, budget=budget, timeline=timeline)
    )
    _show(ctx, lead)


@leads.command()
@click.argument("lead_id", type=click.UUID)
@click.option("--reason", required=True, help="Why the lead is disqualified (stored).")
@click.pass_context
def disqualify(ctx: click.Context, lead_id: UUID, reason: str) -> None:
    """Take a new or qualified lead out of the funnel."""
    _show(ctx, unwrap(disqualify_lead(app_from(ctx), LeadId(lead_id), reason=reason)))


@leads.command()
@click.argument("lead_id", type=click.UUID)
@click.pass_context
def reopen(ctx: click.Context, lead_id: UUID) -> None:
    """Bring a disqualified lead back to new."""
    _show(ctx, unwrap(reopen_lead(app_from(ctx), LeadId(lead_id))))


@leads.command()
@click.argument("lead_id", type=click.UUID)
@click.option("--account", "account_name", default=None, help="Account name (b2b).")
@click.option(
    "--account-type",
    type=click.Choice(["university", "corporation", "ngo"]),
    default="corporation",
    show_default=True,
    help="Type of the account when --account creates a new one.",
)
@click.option("--deal-title", default=None, help="Title of the deal (needed with --deal-amount).")
@click.option("--deal-amount", default=None, help="Opens a deal in 'qualified'.")
@click.option(
    "--currency", default=None, help="ISO-4217 code of --deal-amount [default: settings]."
)
@click.pass_context
def convert(
    ctx: click.Context,
    lead_id: UUID,
    account_name: str | None,
    account_type: str,
    deal_title: str | None,
    deal_amount: str | None,
    currency: str | None,
) -> None:
    """Convert a qualified lead into a contact (+ account and deal for b2b)."""
    done = unwrap(
        convert_lead(
            app_from(ctx),
            LeadId(lead_id),
            account_name=account_name,
            account_type=account_type,
            deal_title=deal_title,
            deal_amount=deal_amount,
            currency=currency,
        )
    )
    fmt = state_from(ctx).fmt
    row = {
        "lead_id": done.lead.id,
        "contact_id": done.contact.id,
        "account_id": done.account.id if done.account else None,
        "deal_id": done.deal.id if done.deal else None,
    }
    if fmt == "table":
        render_one(contact_row(done.contact), CONTACT_FIELDS, fmt)
        if done.account:
            render_one(account_row(done.account), ACCOUNT_FIELDS, fmt)
        if done.deal:
            render_one(deal_row(done.deal), DEAL_FIELDS, fmt)
    else:
        render_one(row, ("lead_id", "contact_id", "account_id", "deal_id"), fmt)


@leads.command("set-score")
@click.argument("lead_id", type=click.UUID)
@click.option("--score", type=click.IntRange(0, 100), required=True, help="The new score.")
@click.pass_context
def set_score(ctx: click.Context, lead_id: UUID, score: int) -> None:
    """Override a lead's score by hand (crm.lead.scored only when it changes)."""
    _show(ctx, unwrap(rescore_lead(app_from(ctx), LeadId(lead_id), score=score)))

"""``crm activities`` (add, list) and ``crm tasks`` (add, list, complete, overdue)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import ACTIVITY_FIELDS, activity_row
from crmcore.app.sales.activities import complete_task, list_activities, log_activity, overdue_tasks
from crmcore.domain.activity import ActivityType
from crmcore.domain.ids import ActivityId, ContactId, DealId, LeadId

TYPES = [t.value for t in ActivityType]


class When(click.ParamType):  # type: ignore[type-arg]
    """An ISO date or date-time; without a timezone it is taken as UTC."""

    name = "datetime"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not an ISO date or date-time (2026-01-31T17:00)", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _concerns(
    lead_id: UUID | None, contact_id: UUID | None, deal_id: UUID | None
) -> dict[str, object]:
    return {
        "lead_id": LeadId(lead_id) if lead_id else None,
        "contact_id": ContactId(contact_id) if contact_id else None,
        "deal_id": DealId(deal_id) if deal_id else None,
    }


concern_options = [
    click.option(
        "--lead-id",
        type=click.UUID,
        default=None,
        help="Lead it is about (id); give a lead, contact or deal.",
    ),
    click.option(
        "--contact-id",
        type=click.UUID,
        default=None,
        help="Contact it is about (id); give a lead, contact or deal.",
    ),
    click.option(
        "--deal-id",
        type=click.UUID,
        default=None,
        help="Deal it is about (id); give a lead, contact or deal.",
    ),
]

filter_options = [
    click.option("--lead-id", type=click.UUID, default=None, help="Only those about this lead."),
    click.option(
        "--contact-id", type=click.UUID, default=None, help="Only those about this contact."
    ),
    click.option("--deal-id", type=click.UUID, default=None, help="Only those about this deal."),
]


def with_concerns(fn: click.decorators.FC) -> click.decorators.FC:
    """Add the --lead-id/--contact-id/--deal-id options (at least one is needed)."""
    for option in reversed(concern_options):
        fn = option(fn)
    return fn


def with_concern_filters(fn: click.decorators.FC) -> click.decorators.FC:
    """Add the --lead-id/--contact-id/--deal-id options of the lists (each narrows it)."""
    for option in reversed(filter_options):
        fn = option(fn)
    return fn


@click.group()
def activities() -> None:
    """Activities: e-mails, calls, meetings, notes."""


@activities.command("add")
@click.option("--type", "type_", type=click.Choice(TYPES), required=True, help="Kind of activity.")
@click.option("--subject", required=True, help="One line saying what happened.")
@click.option("--description", default="", help="Longer notes.")
@click.option("--actor", default=None, help="Who acted.")
@click.option("--due", type=When(), default=None, help="Due time (tasks only).")
@with_concerns
@click.pass_context
def add_activity(
    ctx: click.Context,
    type_: str,
    subject: str,
    description: str,
    actor: str | None,
    due: datetime | None,
    lead_id: UUID | None,
    contact_id: UUID | None,
    deal_id: UUID | None,
) -> None:
    """Log an activity about a lead, contact or deal."""
    activity = unwrap(
        log_activity(
            app_from(ctx),
            type=type_,
            subject=subject,
            description=description,
            actor=actor,
            due_at=due,
            **_concerns(lead_id, contact_id, deal_id),  # type: ignore[arg-type]
        )
    )
    render_one(activity_row(activity), ACTIVITY_FIELDS, state_from(ctx).fmt)


@activities.command("list")
@with_concern_filters
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    help="Show at most this many, oldest first [default: all].",
)
@click.pass_context
def list_activities_cmd(
    ctx: click.Context,
    lead_id: UUID | None,
    contact_id: UUID | None,
    deal_id: UUID | None,
    limit: int | None,
) -> None:
    """List activities, optionally about one lead, contact or deal."""
    rows = unwrap(
        list_activities(
            app_from(ctx),
            limit=limit,
            **_concerns(lead_id, contact_id, deal_id),  # type: ignore[arg-type]
        )
    )
    render(
        [activity_row(a) for a in rows], ACTIVITY_FIELDS, state_from(ctx).fmt, title="activities"
    )


@click.group()
def tasks() -> None:
    """Tasks: activities with a due date."""


@tasks.command("add")
@click.option("--subject", required=True, help="One line saying what is to be done.")
@click.option("--due", type=When(), default=None, help="ISO date or date-time (UTC if naive).")
@click.option("--description", default="", help="Longer notes.")
@click.option("--actor", default=None, help="Who owns the task.")
@with_concerns
@click.pass_context
def add_task(
    ctx: click.Context,
    subject: str,
    due: datetime | None,
    description: str,
    actor: str | None,
    lead_id: UUID | None,
    contact_id: UUID | None,
    deal_id: UUID | None,
) -> None:
    """Add a task about a lead, contact or deal."""
    task = unwrap(
        log_activity(
            app_from(ctx),
            type="task",
            subject=subject,
            description=description,
            actor=actor,
            due_at=due,
            **_concerns(lead_id, contact_id, deal_id),  # type: ignore[arg-type]
        )
    )
    render_one(activity_row(task), ACTIVITY_FIELDS, state_from(ctx).fmt)


@tasks.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include completed tasks.")
@with_concern_filters
@click.pass_context
def list_tasks(
    ctx: click.Context,
    show_all: bool,
    lead_id: UUID | None,
    contact_id: UUID | None,
    deal_id: UUID | None,
) -> None:
    """List open tasks (or all tasks with --all)."""
    rows = unwrap(
        list_activities(
            app_from(ctx),
            open_tasks_only=not show_all,
            **_concerns(lead_id, contact_id, deal_id),  # type: ignore[arg-type]
        )
    )
    tasks_only = [a for a in rows if a.type == ActivityType.TASK]
    render(
        [activity_row(a) for a in tasks_only], ACTIVITY_FIELDS, state_from(ctx).fmt, title="tasks"
    )


@tasks.command()
@click.argument("task_id", type=click.UUID)
@click.pass_context
def complete(ctx: click.Context, task_id: UUID) -> None:
    """Mark a task done."""
    task = unwrap(complete_task(app_from(ctx), ActivityId(task_id)))
    render_one(activity_row(task), ACTIVITY_FIELDS, state_from(ctx).fmt)


@tasks.command()
@click.pass_context
def overdue(ctx: click.Context) -> None:
    """Open tasks past their due time."""
    rows = unwrap(overdue_tasks(app_from(ctx)))
    render(
        [activity_row(a) for a in rows], ACTIVITY_FIELDS, state_from(ctx).fmt, title="overdue tasks"
    )

"""``crm activities`` (add, list) and ``crm tasks`` (add, list, complete, overdue)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import ACTIVITY_FIELDS, activity_row
from crmcore.app.sales.activities import complete_task, list_activities, log_activity, overdue_tasks
from crmcore.domain.activity import Activity, ActivityType
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


def _concern_options(
    help: Callable[[str], str],
) -> Callable[[click.decorators.FC], click.decorators.FC]:
    """The --lead-id/--contact-id/--deal-id options, each with ``help(kind)``."""

    def add(fn: click.decorators.FC) -> click.decorators.FC:
        for kind in ("deal", "contact", "lead"):
            fn = click.option(f"--{kind}-id", type=click.UUID, default=None, help=help(kind))(fn)
        return fn

    return add


#: The options of a new activity (at least one is needed).
with_concerns = _concern_options(
    lambda kind: f"{kind.capitalize()} it is about (id); give a lead, contact or deal."
)
#: The options of the lists (each narrows it).
with_concern_filters = _concern_options(lambda kind: f"Only those about this {kind}.")


def _show(ctx: click.Context, activity: Activity) -> None:
    render_one(activity_row(activity), ACTIVITY_FIELDS, state_from(ctx).fmt)


def _list(ctx: click.Context, found: Iterable[Activity], title: str) -> None:
    render([activity_row(a) for a in found], ACTIVITY_FIELDS, state_from(ctx).fmt, title=title)


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
    _show(ctx, activity)


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
    _list(ctx, rows, "activities")


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
    _show(ctx, task)


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
    _list(ctx, [a for a in rows if a.type == ActivityType.TASK], "tasks")


@tasks.command()
@click.argument("task_id", type=click.UUID)
@click.pass_context
def complete(ctx: click.Context, task_id: UUID) -> None:
    """Mark a task done."""
    task = unwrap(complete_task(app_from(ctx), ActivityId(task_id)))
    _show(ctx, task)


@tasks.command()
@click.pass_context
def overdue(ctx: click.Context) -> None:
    """Open tasks past their due time."""
    rows = unwrap(overdue_tasks(app_from(ctx)))
    _list(ctx, rows, "overdue tasks")

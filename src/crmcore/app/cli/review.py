"""``crm review``: the manual-review queue (list, show, resolve)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.events import EXIT_REFUSED, emit_json
from crmcore.app.events.worker import list_reviews, resolve_review, show_review
from crmcore.domain.ids import ContactId
from crmcore.domain.review import ReviewItem, ReviewReason, ReviewStatus
from crmcore.domain.sentiment import SentimentLabel


def _item(item: ReviewItem) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "event_id": item.event_id,
        "reason": item.reason.value,
        "detail": item.detail,
        "proposed_action": item.proposed_action,
        "proposed_label": item.proposed_label.value if item.proposed_label else None,
        "confidence": item.confidence,
        "candidates": [str(c) for c in item.candidates],
        "status": item.status.value,
        "created_at": item.created_at.isoformat(),
    }


@click.group("review")
def review() -> None:
    """Events the pipeline could not decide on its own."""


@review.command("list")
@click.option(
    "--reason",
    type=click.Choice([r.value for r in ReviewReason]),
    help="Only items waiting for this reason [default: every reason].",
)
@click.option(
    "--status",
    type=click.Choice([s.value for s in ReviewStatus] + ["all"]),
    default="open",
    show_default=True,
    help="Only items in this state (all: every state).",
)
@click.pass_context
def list_cmd(ctx: click.Context, reason: str | None, status: str) -> None:
    """Review items, oldest first."""
    fmt = state_from(ctx).fmt
    items = unwrap(
        list_reviews(
            app_from(ctx),
            reason=ReviewReason(reason) if reason else None,
            status=None if status == "all" else ReviewStatus(status),
        )
    )
    if fmt == "json":
        emit_json([_item(i) for i in items])
        return
    for i in items:
        click.echo(f"{i.id}  {i.reason.value:<16} {i.event_id}  → {i.proposed_action}")


@review.command("show")
@click.argument("item_id", type=click.UUID)
@click.pass_context
def show(ctx: click.Context, item_id: UUID) -> None:
    """One item with its event and its candidate contacts by name, e-mail and phone."""
    fmt = state_from(ctx).fmt
    view = unwrap(show_review(app_from(ctx), item_id))
    candidates = [
        {"id": str(c.id), "name": c.name, "email": c.email, "phone": c.phone}
        for c in view.candidates
    ]
    data = {**_item(view.item), "candidates": candidates, "event": view.event}
    if fmt == "json":
        emit_json(data)
        return
    for key, value in data.items():
        if key != "candidates":
            click.echo(f"{key:<16}{value}")
    for c in candidates:
        reach = ", ".join(v for v in (c["email"], c["phone"]) if v)
        click.echo(f"{'candidate':<16}{c['name'] or '(no name)'} <{reach}>  --match {c['id']}")


@review.command("resolve")
@click.argument("item_id", type=click.UUID)
@click.option(
    "--label",
    type=click.Choice([s.value for s in SentimentLabel]),
    help="Decide the sentiment of the event yourself.",
)
@click.option("--match", "match", type=click.UUID, help="The contact this event is about.")
@click.option("--discard", is_flag=True, help="Drop the event on purpose.")
@click.option("--by", default=None, help="Who decided (recorded).")
@click.pass_context
def resolve(
    ctx: click.Context,
    item_id: UUID,
    label: str | None,
    match: UUID | None,
    discard: bool,
    by: str | None,
) -> None:
    """Resolve with exactly one of --label, --match, --discard; the event is then applied."""
    if (label is not None) + (match is not None) + discard != 1:
        click.echo("error: give exactly one of --label, --match, --discard", err=True)
        raise SystemExit(EXIT_REFUSED)
    outcome = unwrap(
        resolve_review(
            app_from(ctx),
            item_id,
            label=SentimentLabel(label) if label else None,
            contact_id=ContactId(match) if match else None,
            discard=discard,
            by=by,
        )
    )
    if outcome.follow_up is not None:
        click.echo(f"resolved; the event needs another review: {outcome.follow_up.id}")
    elif outcome.applied:
        click.echo(f"resolved; event {outcome.item.event_id} applied")
    else:
        click.echo(f"{outcome.item.status.value}; event {outcome.item.event_id}")

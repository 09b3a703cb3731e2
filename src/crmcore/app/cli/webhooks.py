"""``crm webhooks``: outbound webhook subscriptions (delivered by ``crm outbox relay``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import click

from crmcore.app.access.webhooks import add_subscription, list_subscriptions, remove_subscription
from crmcore.app.cli.context import app_from, note, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import record
from crmcore.domain.access import WebhookSubscription

FIELDS = ("id", "url", "event_type", "active", "created_at")


def _row(sub: WebhookSubscription) -> dict[str, Any]:
    return record(sub, FIELDS)


@click.group("webhooks")
def webhooks() -> None:
    """Outbound webhooks: crm.* events POSTed, HMAC-signed, by `crm outbox relay`."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--event",
    "event_type",
    default="crm.*",
    show_default=True,
    help="crm.*, crm.<kind>.* (e.g. crm.deal.*) or one type (crm.deal.won).",
)
@click.pass_context
def add(ctx: click.Context, url: str, event_type: str) -> None:
    """Subscribe URL (https, or http to this machine) and print its secret once."""
    sub = unwrap(add_subscription(app_from(ctx), url=url, event_type=event_type))
    render_one({**_row(sub), "secret": sub.secret}, ("secret", *FIELDS), state_from(ctx).fmt)
    note(ctx, "store the secret now: receivers check X-Crm-Signature with it")


@webhooks.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every subscription (never the secrets)."""
    subs = unwrap(list_subscriptions(app_from(ctx)))
    render([_row(s) for s in subs], FIELDS, state_from(ctx).fmt, title="webhooks")


@webhooks.command("remove")
@click.argument("subscription_id", type=click.UUID)
@click.pass_context
def remove(ctx: click.Context, subscription_id: UUID) -> None:
    """Stop deliveries to a subscription."""
    sub = unwrap(remove_subscription(app_from(ctx), subscription_id))
    render_one(_row(sub), FIELDS, state_from(ctx).fmt)

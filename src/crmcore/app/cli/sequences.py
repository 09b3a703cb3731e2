"""``crm sequences``: drip sequences (PRODUCT.md C5, docs/cli.md)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import click

from crmcore.app.cli.context import EXIT_USAGE, app_from, fail, state_from, unwrap
from crmcore.app.cli.marketing import CHANNELS
from crmcore.app.cli.render import render, render_one
from crmcore.app.marketing.sequences import (
    SHIPPED,
    add_sequence,
    enroll,
    install_retention_offers,
    install_shipped,
    list_sequences,
    show_sequence,
)
from crmcore.app.marketing.upsell import install_upsell
from crmcore.domain.campaign import Campaign, CampaignChannel
from crmcore.domain.ids import ContactId
from crmcore.domain.sequence import DripStep, SequenceGoal, StepCondition


@click.group("sequences")
def sequences() -> None:
    """Drip sequences: steps N days after joining, under conditions, until the goal."""


def _step(raw: str) -> DripStep:
    parts = raw.split(":")
    conditions = [c.value for c in StepCondition]
    try:
        day = int(parts[0])
        if len(parts) not in (2, 3, 4) or day < 0 or not parts[1]:
            raise ValueError(raw)
        condition = StepCondition(parts[2]) if len(parts) >= 3 else StepCondition.ALWAYS
        channel = CampaignChannel(parts[3]).value if len(parts) == 4 else None
    except ValueError as exc:
        raise click.BadParameter(
            f"{raw!r}: use DAY:TEMPLATE[:CONDITION[:CHANNEL]], CONDITION one of"
            f" {', '.join(conditions)}",
            param_hint="--step",
        ) from exc
    return DripStep(day=day, template=parts[1], condition=condition, channel=channel)


def _condition(condition: StepCondition) -> str:
    return "" if condition is StepCondition.ALWAYS else f" if {condition}"


def _sequence_row(c: Campaign) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "name": c.name,
        "goal": c.goal.value,
        "trigger": c.trigger,
        "channels": ",".join(ch.value for ch in c.channels),
        "steps": ", ".join(
            f"D{s.day} {s.template}{_condition(s.condition)}"
            + (f" by {s.channel}" if s.channel else "")
            for s in c.steps
        ),
    }


SEQUENCE_FIELDS = ("id", "name", "goal", "trigger", "channels", "steps")


@sequences.command("add")
@click.argument("name", required=False)
@click.option(
    "--step",
    "steps",
    multiple=True,
    help="DAY:TEMPLATE[:always|not_activated|no_purchase[:CHANNEL]] (repeat).",
)
@click.option(
    "--goal",
    type=click.Choice([g.value for g in SequenceGoal]),
    default="none",
    show_default=True,
    help="Contacts who reach it leave the sequence.",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice(CHANNELS),
    help="A channel it may use (repeat). [default: email]",
)
@click.option(
    "--trigger",
    default="manual",
    show_default=True,
    help="What enrols contacts: manual, signup (every new contact, as of its creation),"
    " converted (a lead converted into a contact), score (a lead's score above 80),"
    " funnel:STAGE (e.g. funnel:lead), status:STATUS or clv:STATUS (hot, leaving),"
    " churn:REASON (a churn risk, e.g. churn:inactive), upsell:SEGMENT (the members of a"
    " saved segment, e.g. upsell:high-value);"
    " or a date field plus days, date:contact.NAME|account.NAME:DAYS[:yearly]"
    " (e.g. date:contact.birthday:-1:yearly, date:account.renewal_at:-30), one step.",
)
@click.option(
    "--default",
    "shipped",
    is_flag=True,
    help="Install the shipped sequences and their templates: the onboarding"
    " (D0/1/3/7/14/21), the activation nudges (D1 reminder, D3 call) and the retention"
    " offers (one per churn-risk reason, a call for high-value customers) and the upsell"
    " segments (high-value, power-users, teams) with their offers and the in-app"
    " usage-limit prompt.",
)
@click.pass_context
def sequences_add(
    ctx: click.Context,
    name: str | None,
    steps: tuple[str, ...],
    goal: str,
    channels: tuple[str, ...],
    trigger: str,
    shipped: bool,
) -> None:
    """Add a drip sequence (running at once; contacts join by trigger or `enroll`)."""
    app = app_from(ctx)
    if shipped:
        rows = [_sequence_row(unwrap(install_shipped(app, f))) for f in SHIPPED]
        rows += [_sequence_row(c) for c in unwrap(install_retention_offers(app))]
        rows += [_sequence_row(c) for c in unwrap(install_upsell(app))]
        render(rows, SEQUENCE_FIELDS, state_from(ctx).fmt, title="sequences")
        return
    if not name or not steps:
        fail("give NAME and at least one --step (or --default)", exit_code=EXIT_USAGE)
    made = unwrap(
        add_sequence(
            app,
            name=name,
            steps=[_step(s) for s in steps],
            goal=SequenceGoal(goal),
            channels=[CampaignChannel(c) for c in channels] or [CampaignChannel.EMAIL],
            trigger=trigger,
        )
    )
    render_one(_sequence_row(made), SEQUENCE_FIELDS, state_from(ctx).fmt)


@sequences.command("list")
@click.pass_context
def sequences_list(ctx: click.Context) -> None:
    """Every sequence."""
    rows = [_sequence_row(c) for c in unwrap(list_sequences(app_from(ctx)))]
    render(rows, SEQUENCE_FIELDS, state_from(ctx).fmt, title="sequences")


@sequences.command("show")
@click.argument("name")
@click.pass_context
def sequences_show(ctx: click.Context, name: str) -> None:
    """A sequence, who is in it and each step's numbers (sent, skipped, opened, ...)."""
    report = unwrap(show_sequence(app_from(ctx), name=name))
    fmt = state_from(ctx).fmt
    steps = []
    for n, s in enumerate(report.sequence.steps, start=1):
        counts = report.steps.get(n)
        by = dict(counts.by_status) if counts else {}
        steps.append(
            {
                "step": n,
                "day": s.day,
                "template": s.template,
                "condition": s.condition.value,
                "sent": by.get("sent", 0),
                "skipped": by.get("skipped", 0),
                "failed": by.get("failed", 0),
                "suppressed": by.get("suppressed", 0),
                "pending": by.get("pending", 0) + by.get("sending", 0),
                "opened": counts.opened if counts else 0,
                "clicked": counts.clicked if counts else 0,
                "converted": counts.converted if counts else 0,
            }
        )
    step_fields = (
        "step",
        "day",
        "template",
        "condition",
        "sent",
        "skipped",
        "failed",
        "suppressed",
        "pending",
        "opened",
        "clicked",
        "converted",
    )
    if fmt == "json":
        emit = {**_sequence_row(report.sequence), "members": report.members, "step_stats": steps}
        click.echo(json.dumps(emit, ensure_ascii=False, indent=2))
        return
    render_one(
        _sequence_row(report.sequence) | {"members": report.members},
        (*SEQUENCE_FIELDS, "members"),
        fmt,
    )
    render(steps, step_fields, fmt, title="steps")


@sequences.command("enroll")
@click.argument("name")
@click.option("--segment", default=None, help="Enrol a saved or RFM segment's members.")
@click.option(
    "--contact", "contacts", multiple=True, type=click.UUID, help="A contact id (repeat)."
)
@click.pass_context
def sequences_enroll(
    ctx: click.Context, name: str, segment: str | None, contacts: tuple[UUID, ...]
) -> None:
    """Enrol contacts (joining twice keeps the first join)."""
    if segment is None and not contacts:
        fail("give --segment or --contact", exit_code=EXIT_USAGE)
    joined = unwrap(
        enroll(
            app_from(ctx), name=name, segment=segment, contact_ids=[ContactId(c) for c in contacts]
        )
    )
    render_one({"sequence": name, "joined": joined}, ("sequence", "joined"), state_from(ctx).fmt)

"""``crm templates``, ``crm campaigns``, ``crm send``, ``crm unsubscribe`` and
``crm suppressions``: marketing automation (PRODUCT.md C5, docs/cli.md)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import click
from returns.result import Result

from crmcore.app.cli.context import EXIT_USAGE, app_from, fail, note, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.cli.views import record
from crmcore.app.context import App
from crmcore.app.errors import AppError
from crmcore.app.marketing.campaigns import (
    campaign_stats,
    cancel_campaign,
    create_campaign,
    decide_campaign,
    effectiveness,
    get_campaign,
    list_campaigns,
    pause_campaign,
    resume_campaign,
    schedule_campaign,
    start_campaign,
)
from crmcore.app.marketing.config import DEFAULT_OUTBOX_DIR, ChannelOptions
from crmcore.app.marketing.sending import DEFAULT_BATCH, SendReport, send_due
from crmcore.app.marketing.templates import add_template, list_templates, preview_template
from crmcore.app.marketing.unsubscribe import suppression_list, unsubscribe
from crmcore.domain.abtest import DEFAULT_LEVEL, DEFAULT_MIN_SAMPLE, DEFAULT_TEST_SHARE, AbRule
from crmcore.domain.bounces import Bounce
from crmcore.domain.campaign import Campaign, CampaignChannel
from crmcore.domain.ids import ContactId

CAMPAIGN_FIELDS = (
    "id",
    "name",
    "status",
    "channels",
    "segment",
    "variants",
    "winner",
    "kind",
    "pause_reason",
    "scheduled_at",
    "sent_at",
    "created_at",
)
STATS_FIELDS = (
    "id",
    "name",
    "status",
    "pause_reason",
    "planned",
    "pending",
    "sent",
    "delivered",
    "bounced",
    "failed",
    "suppressed",
    "unsubscribed",
    "opened",
    "clicked",
    "converted",
    "held",
    "winner",
    "variants",
)
CHANNELS = [c.value for c in CampaignChannel]
CONSENT_FIELDS = ("address", "channel", "source", "at")


def campaign_row(c: Campaign) -> dict[str, Any]:
    """A campaign as the CLI shows it."""
    return record(
        c,
        CAMPAIGN_FIELDS,
        channels=",".join(ch.value for ch in c.channels),
        variants=",".join(f"{k}={v}" for k, v in c.variants.items()),
    )


# -- templates ---------------------------------------------------------------------------


@click.group("templates")
def templates() -> None:
    """Message templates (Jinja2 in a sandbox): contact.*, account.*, facts.*, unsubscribe_url."""


@templates.command("add")
@click.argument("name")
@click.option("--subject", required=True, help="The subject line (a template too).")
@click.option(
    "--body",
    "body_file",
    required=True,
    type=click.File("r", encoding="utf-8"),
    help="A file with the body template ('-' reads standard input).",
)
@click.option("--replace", is_flag=True, help="Change the template if NAME exists.")
@click.pass_context
def templates_add(
    ctx: click.Context, name: str, subject: str, body_file: Any, replace: bool
) -> None:
    """Add a template; one that reaches for internals or names an unknown value is refused."""
    tpl = unwrap(
        add_template(
            app_from(ctx), name=name, subject=subject, body=body_file.read(), replace=replace
        )
    )
    row = {"id": str(tpl.id), "name": tpl.name, "subject": tpl.subject}
    render_one(row, ("id", "name", "subject"), state_from(ctx).fmt)


@templates.command("list")
@click.pass_context
def templates_list(ctx: click.Context) -> None:
    """Every template, by name."""
    rows = [
        {"id": str(t.id), "name": t.name, "subject": t.subject, "updated_at": t.updated_at}
        for t in unwrap(list_templates(app_from(ctx)))
    ]
    render(rows, ("id", "name", "subject", "updated_at"), state_from(ctx).fmt, title="templates")


@templates.command("preview")
@click.argument("name")
@click.option("--contact", "contact_id", required=True, type=click.UUID, help="The contact's id.")
@click.pass_context
def templates_preview(ctx: click.Context, name: str, contact_id: UUID) -> None:
    """The template rendered for one contact (a missing value is an error)."""
    p = unwrap(preview_template(app_from(ctx), name=name, contact_id=ContactId(contact_id)))
    fmt = state_from(ctx).fmt
    row = {"template": p.template, "to": p.to, "subject": p.subject, "body": p.body}
    if fmt == "table":
        click.echo(f"To: {p.to}\nSubject: {p.subject}\n\n{p.body}")
        return
    render_one(row, ("template", "to", "subject", "body"), fmt)


# -- campaigns ---------------------------------------------------------------------------


@click.group("campaigns")
def campaigns() -> None:
    """Campaigns: draft → scheduled → running ⇄ paused → completed (or cancelled)."""


def _variants(raw: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        name, sep, template = item.partition("=")
        if not sep or not name.strip() or not template.strip():
            raise click.BadParameter(f"{item!r}: use NAME=TEMPLATE", param_hint="--variant")
        out[name.strip()] = template.strip()
    return out


@campaigns.command("create")
@click.argument("name")
@click.option("--template", required=True, help="The template of variant A.")
@click.option("--segment", required=True, help="A saved segment's name or an RFM segment.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice(CHANNELS),
    help="A channel it may use (repeat for several; each contact's preferred one wins)."
    " [default: email; for drifting, at_risk, sleeping and lost the reactivation channels]",
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    help="An A/B variant as NAME=TEMPLATE (repeat; A is --template unless given).",
)
@click.option(
    "--test-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=DEFAULT_TEST_SHARE,
    show_default=True,
    help="With variants: the share of the audience in the A/B test; the rest gets the winner.",
)
@click.option(
    "--min-sample",
    type=click.IntRange(1),
    default=DEFAULT_MIN_SAMPLE,
    show_default=True,
    help="Deliveries each variant must have sent before a winner can be declared.",
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_LEVEL,
    show_default=True,
    help="Significance level of the two-proportion z-test.",
)
@click.option(
    "--metric",
    type=click.Choice(["opened", "clicked", "converted"]),
    default="clicked",
    show_default=True,
    help="What the A/B test compares.",
)
@click.option("--kind", default="broadcast", show_default=True, help="onboarding, retention, ...")
@click.pass_context
def campaigns_create(
    ctx: click.Context,
    name: str,
    template: str,
    segment: str,
    channels: tuple[str, ...],
    variants: tuple[str, ...],
    test_share: float,
    min_sample: int,
    level: float,
    metric: str,
    kind: str,
) -> None:
    """Create a draft campaign (with --variant: an A/B test, docs/cli.md)."""
    rule = AbRule(test_share=test_share, min_sample=min_sample, level=level, metric=metric)
    chosen = [CampaignChannel(c) for c in channels] or None
    campaign = unwrap(
        create_campaign(
            app_from(ctx),
            name=name,
            template=template,
            segment=segment,
            channels=chosen,
            variants=_variants(variants),
            kind=kind,
            ab=rule,
        )
    )
    render_one(campaign_row(campaign), CAMPAIGN_FIELDS, state_from(ctx).fmt)


@campaigns.command("list")
@click.pass_context
def campaigns_list(ctx: click.Context) -> None:
    """Every campaign, oldest first."""
    rows = [campaign_row(c) for c in unwrap(list_campaigns(app_from(ctx)))]
    render(rows, CAMPAIGN_FIELDS, state_from(ctx).fmt, title="campaigns")


@campaigns.command("show")
@click.argument("campaign_id", type=click.UUID)
@click.pass_context
def campaigns_show(ctx: click.Context, campaign_id: UUID) -> None:
    """One campaign."""
    campaign = unwrap(get_campaign(app_from(ctx), campaign_id=campaign_id))
    render_one(campaign_row(campaign), CAMPAIGN_FIELDS, state_from(ctx).fmt)


def _moved(ctx: click.Context, run: Callable[[App], Result[Campaign, AppError]]) -> None:
    campaign = unwrap(run(app_from(ctx)))
    render_one(campaign_row(campaign), CAMPAIGN_FIELDS, state_from(ctx).fmt)


@campaigns.command("schedule")
@click.argument("campaign_id", type=click.UUID)
@click.option("--at", "at", default=None, help="When to start (ISO 8601 with offset) [now].")
@click.pass_context
def campaigns_schedule(ctx: click.Context, campaign_id: UUID, at: str | None) -> None:
    """Check every template variable against the audience, then schedule."""
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            fail(f"--at: {at!r} is not an ISO 8601 time", exit_code=EXIT_USAGE)
        if when.tzinfo is None:
            fail("--at: give the offset (e.g. 2026-05-01T09:00+00:00)", exit_code=EXIT_USAGE)
    _moved(ctx, lambda app: schedule_campaign(app, campaign_id=campaign_id, at=when))


@campaigns.command("start")
@click.argument("campaign_id", type=click.UUID)
@click.pass_context
def campaigns_start(ctx: click.Context, campaign_id: UUID) -> None:
    """Start a scheduled campaign now (its deliveries are planned; `crm send work` sends)."""
    _moved(ctx, lambda app: start_campaign(app, campaign_id=campaign_id))


@campaigns.command("pause")
@click.argument("campaign_id", type=click.UUID)
@click.option("--reason", default="paused by the operator", help="Why (shown in stats).")
@click.pass_context
def campaigns_pause(ctx: click.Context, campaign_id: UUID, reason: str) -> None:
    """Stop sending until resumed."""
    _moved(ctx, lambda app: pause_campaign(app, campaign_id=campaign_id, reason=reason))


@campaigns.command("resume")
@click.argument("campaign_id", type=click.UUID)
@click.pass_context
def campaigns_resume(ctx: click.Context, campaign_id: UUID) -> None:
    """Send again."""
    _moved(ctx, lambda app: resume_campaign(app, campaign_id=campaign_id))


@campaigns.command("cancel")
@click.argument("campaign_id", type=click.UUID)
@click.pass_context
def campaigns_cancel(ctx: click.Context, campaign_id: UUID) -> None:
    """Stop for good; what was not sent is skipped."""
    _moved(ctx, lambda app: cancel_campaign(app, campaign_id=campaign_id))


@campaigns.command("decide")
@click.argument("campaign_id", type=click.UUID)
@click.option("--variant", default=None, help="Make this variant the winner by hand.")
@click.pass_context
def campaigns_decide(ctx: click.Context, campaign_id: UUID, variant: str | None) -> None:
    """Apply the A/B winner rule now (or choose the winner): the rest gets it."""
    _moved(ctx, lambda app: decide_campaign(app, campaign_id=campaign_id, variant=variant))


@campaigns.command("stats")
@click.argument("campaign_id", type=click.UUID)
@click.pass_context
def campaigns_stats(ctx: click.Context, campaign_id: UUID) -> None:
    """Sent, failed, unsubscribed, opened, clicked, converted (and why it paused)."""
    stats = unwrap(campaign_stats(app_from(ctx), campaign_id=campaign_id))
    render_one(stats.as_dict(), STATS_FIELDS, state_from(ctx).fmt)


@campaigns.command("report")
@click.pass_context
def campaigns_report(ctx: click.Context) -> None:
    """Scenario effectiveness: every campaign and sequence by conversion rate."""
    fields = ("id", "name", "kind", "entry", "status", "sent", "opened", "clicked", "converted")
    rows = [
        record(x, (*fields, "conversion"), conversion=round(x.conversion, 4))
        for x in unwrap(effectiveness(app_from(ctx)))
    ]
    render(rows, (*fields, "conversion"), state_from(ctx).fmt, title="scenarios")


# -- sending -----------------------------------------------------------------------------


@click.group("send")
def send() -> None:
    """The send worker."""


def _report_line(report: SendReport) -> str:
    line = (
        f"sent {report.sent}, failed {report.failed}, suppressed {report.suppressed}, "
        f"batches {report.batches}"
    )
    for cid, reason in report.paused:
        line += f"\ncampaign {cid} paused: {reason}"
    for cid in report.completed:
        line += f"\ncampaign {cid} completed"
    return line


@send.command("bounces")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def send_bounces(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Read delivery status notifications (an mbox, a maildir, .eml files or a folder
    of them) and mark the deliveries they report bounced; a hard bounce suppresses the
    address."""
    from crmcore.app.marketing.bounces import record_bounces
    from crmcore.codec.dsn import UnreadableMailbox, bounces_of, read_messages

    found: list[Bounce] = []
    messages = 0
    for path in paths:
        try:
            for _where, message in read_messages(path):
                messages += 1
                found += bounces_of(message)
        except (UnreadableMailbox, OSError) as exc:
            fail(f"{path}: cannot read it as mail ({exc})", exit_code=EXIT_USAGE)
    report = unwrap(record_bounces(app_from(ctx), found))
    row = record(
        report,
        ("messages", "reports", "hard", "soft", "ignored", "suppressed", "paused"),
        messages=messages,
        suppressed=len(report.suppressed),
        paused=", ".join(f"{c}: {why}" for c, why in report.paused),
    )
    render_one(row, list(row), state_from(ctx).fmt)


@send.command("work")
@click.option("--follow", is_flag=True, help="Keep polling for due deliveries (Ctrl-C stops).")
@click.option(
    "--batch",
    default=DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Deliveries claimed, sent and recorded together.",
)
@click.option(
    "--smtp",
    "smtp_url",
    default=None,
    help="smtp://[user:pass@]host:port[?starttls=1&from=ADDR] [$CRMCORE_SMTP_URL];"
    " without one, e-mail goes to a file like the other channels.",
)
@click.option(
    "--outbox-dir",
    default=None,
    help=f"Folder of the file channels [$CRMCORE_OUTBOX_DIR, {DEFAULT_OUTBOX_DIR}].",
)
@click.option(
    "--lease",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds a claimed delivery stays this worker's; after a crash, another run"
    " re-sends it once the lease ran out.",
)
@click.option(
    "--poll",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.05, 600),
    help="Seconds between polls with --follow.",
)
@click.pass_context
def send_work(
    ctx: click.Context,
    follow: bool,
    batch: int,
    smtp_url: str | None,
    outbox_dir: str | None,
    lease: float,
    poll: float,
) -> None:
    """Send every due delivery and exit (or keep going with --follow)."""
    app = app_from(ctx)
    if app.marketing is None:
        fail("this application has no channels", exit_code=EXIT_USAGE)
    url = smtp_url or os.environ.get("CRMCORE_SMTP_URL") or None
    folder = outbox_dir or os.environ.get("CRMCORE_OUTBOX_DIR") or DEFAULT_OUTBOX_DIR
    try:
        channels = app.marketing.channels(ChannelOptions(smtp_url=url, folder=str(Path(folder))))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--smtp") from exc
    total = SendReport()
    try:
        while True:
            report = unwrap(
                send_due(app, channels=channels, batch=batch, lease=timedelta(seconds=lease))
            )
            total.add(report)
            if report.error is not None:
                note(ctx, f"stopped: {report.error}")
                if not follow:
                    break
            for cid, reason in report.paused:
                note(ctx, f"campaign {cid} paused: {reason}")
            if not follow:
                break
            if report.batches == 0 or report.error is not None:
                time.sleep(poll)
    except KeyboardInterrupt:
        pass
    finally:
        for channel in channels.values():
            channel.close()
    if state_from(ctx).fmt == "json":
        fields = ("sent", "failed", "suppressed", "batches", "paused", "completed", "error")
        render_one(record(total, fields, paused=[p[0] for p in total.paused]), fields, "json")
    else:
        click.echo(_report_line(total))
    if total.error is not None and not follow:
        fail(f"the channel failed: {total.error} (the unsent rest stays due)", exit_code=4)


# -- unsubscribe -------------------------------------------------------------------------


@click.command("unsubscribe")
@click.argument("address")
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    default="email",
    show_default=True,
    help="The channel the consent is withdrawn on.",
)
@click.option("--source", default="cli", show_default=True, help="Where the request came from.")
@click.option("--token", default=None, help="The token of an unsubscribe link (checked).")
@click.pass_context
def unsubscribe_cmd(
    ctx: click.Context, address: str, channel: str, source: str, token: str | None
) -> None:
    """Withdraw an address's consent: nothing is sent there on that channel any more."""
    consent = unwrap(
        unsubscribe(
            app_from(ctx),
            address=address,
            channel=CampaignChannel(channel),
            source=source,
            token=token,
        )
    )
    render_one(record(consent, CONSENT_FIELDS), CONSENT_FIELDS, state_from(ctx).fmt)


@click.group("suppressions")
def suppressions() -> None:
    """The suppression list (withdrawn consents)."""


@suppressions.command("list")
@click.pass_context
def suppressions_list(ctx: click.Context) -> None:
    """Every suppressed address and channel, with its source and time."""
    rows = [record(c, CONSENT_FIELDS) for c in unwrap(suppression_list(app_from(ctx)))]
    render(rows, CONSENT_FIELDS, state_from(ctx).fmt, title="suppressions")

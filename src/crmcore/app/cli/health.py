"""``crm health``: assess customers and report their health."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.intel_render import render
from crmcore.app.cli.progress import bar_for
from crmcore.app.cli.views import record
from crmcore.app.config import load_config
from crmcore.app.intelligence.health import account_health_report, assess_all, health_report
from crmcore.domain.health import RiskLevel

CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML policy file (default: $CRMCORE_CONFIG, else the documented defaults).",
)


@click.group("health")
def health() -> None:
    """Customer health scores, risk levels and churn-risk reasons."""


@health.command("assess")
@CONFIG
@click.pass_context
def assess_cmd(ctx: click.Context, config_path: Path | None) -> None:
    """Score every active contact from its attributes and store the history."""

    config = unwrap(load_config(config_path))
    app = app_from(ctx)
    with bar_for(ctx, "assessing") as progress:
        summary = unwrap(assess_all(app, config=config.health, progress=progress))
    click.echo(f"assessed {summary.assessed} customers, purged {summary.purged} old scores")
    for problem in summary.errors:
        click.echo(f"error: {problem}", err=True)


@health.command("report")
@click.option(
    "--risk",
    type=click.Choice([r.value for r in RiskLevel]),
    default=None,
    help="Only this risk level [default: every level].",
)
@click.option(
    "--accounts",
    "per_account",
    is_flag=True,
    help="Roll up per account: mean of its contacts' latest scores, worst contact, reds.",
)
@CONFIG
@click.pass_context
def report(
    ctx: click.Context, risk: str | None, per_account: bool, config_path: Path | None
) -> None:
    """Accounts/contacts with score, level, action and reasons (worst first)."""
    fmt = state_from(ctx).fmt

    level = RiskLevel(risk) if risk else None
    if per_account:
        config = unwrap(load_config(config_path))
        accounts = unwrap(account_health_report(app_from(ctx), config=config.health, risk=level))
        names = ["account_id", "name", "score", "level", "worst", "contacts", "red", "action"]
        out_accounts = [
            record(a, names, account_id=str(a.account_id), level=a.level.value) for a in accounts
        ]
        click.echo(render(out_accounts, names, fmt))
        return
    rows = unwrap(health_report(app_from(ctx), risk=level))
    columns = ["contact_id", "user_id", "name", "score", "level", "action", "reasons"]
    out = [
        record(
            r,
            columns,
            contact_id=str(r.contact_id),
            level=r.level.value,
            reasons="; ".join(r.reasons),
        )
        for r in rows
    ]
    click.echo(render(out, columns, fmt))


#: ``crm report health``: the same report beside the other analytics reports.
report_health = click.Command(
    "health",
    params=list(report.params),
    callback=report.callback,
    help="Customer health: accounts/contacts with score, level, action and reasons "
    "(worst first); the same report as `crm health report`.",
)

"""``crm health``: assess customers and report their health (C6)."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.app.cli.intel_render import FORMATS, render, value_or_exit
from crmcore.app.config import load_config
from crmcore.app.health import assess_all, health_report
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
    from crmcore.app.cli.main import app_from

    config = value_or_exit(load_config(config_path))
    summary = value_or_exit(assess_all(app_from(ctx), config=config.health))
    click.echo(f"assessed {summary.assessed} customers, purged {summary.purged} old scores")
    for problem in summary.errors:
        click.echo(f"error: {problem}", err=True)


@health.command("report")
@click.option("--risk", type=click.Choice([r.value for r in RiskLevel]), default=None)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def report(ctx: click.Context, risk: str | None, fmt: str) -> None:
    """Accounts/contacts with score, level, action and reasons (worst first)."""
    from crmcore.app.cli.main import app_from

    level = RiskLevel(risk) if risk else None
    rows = value_or_exit(health_report(app_from(ctx), risk=level))
    out = [
        {
            "contact_id": str(r.contact_id),
            "user_id": r.user_id,
            "name": r.name,
            "score": r.score,
            "level": r.level.value,
            "action": r.action,
            "reasons": "; ".join(r.reasons),
        }
        for r in rows
    ]
    columns = ["contact_id", "user_id", "name", "score", "level", "action", "reasons"]
    click.echo(render(out, columns, fmt))

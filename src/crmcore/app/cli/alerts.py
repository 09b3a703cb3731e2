"""``crm alerts``: check the C11 alert rules and list raised alerts."""

from __future__ import annotations

from typing import Any

import click
from returns.result import Failure

from crmcore.app.analytics.alerts import check_alerts, list_alerts
from crmcore.app.cli.context import CommandFailed, app_from, state_from, unwrap
from crmcore.app.cli.render import render
from crmcore.app.cli.views import record
from crmcore.app.errors import StorageFailure
from crmcore.domain.alerts import Alert, AlertKey, Severity
from crmcore.ports.errors import StorageError

FIELDS = ["id", "severity", "key", "message", "value", "raised_at", "cleared_at"]
EXIT_STORAGE = 4


def _row(alert: Alert) -> dict[str, Any]:
    return record(alert, FIELDS, severity=alert.severity.value, key=alert.key.value)


@click.group("alerts")
def alerts() -> None:
    """Alerts: critical and warning conditions, raised once while they hold."""


@alerts.command("check")
@click.pass_context
def check_cmd(ctx: click.Context) -> None:
    """Evaluate every rule now: raise (crm.alert.raised) what started to hold, clear
    (crm.alert.cleared) what stopped. Prints the alerts raised and cleared by this check.
    An unreachable database is itself the critical alert: printed, exit code 4."""
    try:
        result = check_alerts(app_from(ctx))
    except StorageError as exc:
        result = Failure(StorageFailure(detail=str(exc)))
    if isinstance(result, Failure) and isinstance(result.failure(), StorageFailure):
        click.echo(
            f"{Severity.CRITICAL.value}  {AlertKey.DATABASE_UNAVAILABLE.value}  "
            "CRM database unavailable",
        )
        raise CommandFailed(result.failure(), exit_code=EXIT_STORAGE)
    change = unwrap(result)
    rows = [{**_row(a), "change": "raised"} for a in change.raised]
    rows += [{**_row(a), "change": "cleared"} for a in change.cleared]
    render(rows, ["change", *FIELDS], state_from(ctx).fmt, title="alerts changed")


@alerts.command("list")
@click.option("--all", "include_cleared", is_flag=True, help="Cleared alerts too.")
@click.pass_context
def list_cmd(ctx: click.Context, include_cleared: bool) -> None:
    """Open alerts, newest first (with --all, the cleared ones as well)."""
    items = unwrap(list_alerts(app_from(ctx), include_cleared=include_cleared))
    render([_row(a) for a in items], FIELDS, state_from(ctx).fmt, title="alerts")

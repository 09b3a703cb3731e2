"""``crm apikeys prune-responses``: forget the responses stored for ``Idempotency-Key``
retries once they are older than a given age (the HTTP API also prunes them as new
keys are claimed; this is for a quiet server or a shorter retention)."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from crmcore.app.access.idempotency import RESPONSE_TTL, prune_responses
from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.render import render_one

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_AGE = re.compile(r"(\d{1,6})([smhd])")


class Age(click.ParamType[timedelta]):
    """A duration such as ``90s``, ``30m``, ``24h`` or ``7d``."""

    name = "age"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        found = _AGE.fullmatch(str(value).strip().lower())
        if found is None:
            self.fail(f"{value!r} is not an age such as 90s, 30m, 24h or 7d", param, ctx)
        return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


@click.command("prune-responses")
@click.option(
    "--older-than",
    type=Age(),
    default=f"{int(RESPONSE_TTL.total_seconds() // 3600)}h",
    show_default=True,
    help="Forget stored responses older than this (90s, 30m, 24h, 7d; at least 60s).",
)
@click.pass_context
def prune_responses_cmd(ctx: click.Context, older_than: timedelta) -> None:
    """Forget the responses stored for Idempotency-Key retries older than --older-than;
    prints how many went. A retry of a forgotten key runs again as a new request."""
    pruned = unwrap(prune_responses(app_from(ctx), older_than=older_than))
    row = {"pruned": pruned, "older_than_seconds": int(older_than.total_seconds())}
    render_one(row, ("pruned", "older_than_seconds"), state_from(ctx).fmt)

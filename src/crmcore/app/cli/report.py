"""``crm report``: analytics reports (C11), each as a table, JSON or CSV, with a chart.

Every report takes ``--format`` (from the root group), ``--from``/``--to`` (the window of
the facts it reads) and ``--chart FILE.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from crmcore.app.analytics.attribution import attribution, read_paths
from crmcore.app.bootstrap import attribution_engine
from crmcore.app.cli.context import fail, note, state_from, unwrap
from crmcore.app.cli.render import render
from crmcore.domain.attribution import DEFAULT_HALF_LIFE, Model

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USAGE = 2


def window(func: F) -> F:
    """The ``--from``/``--to`` options (calendar days, UTC; ``--to`` is inclusive)."""
    func = click.option(
        "--to",
        "until",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="Last day read (inclusive, UTC) [default: today].",
    )(func)
    return click.option(
        "--from",
        "since",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="First day read (UTC) [default: everything].",
    )(func)


def chart_option(func: F) -> F:
    """The ``--chart FILE.png`` option."""
    return click.option(
        "--chart",
        "chart",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        default=None,
        help="Also draw the report as a PNG chart into FILE.",
    )(func)


def day(value: datetime | None) -> date | None:
    """A ``--from``/``--to`` value as a date."""
    return None if value is None else value.replace(tzinfo=UTC).date()


@click.group("report")
def report() -> None:
    """Analytics: attribution, funnel, cohorts, deals, leads and SaaS metrics."""


ATTRIBUTION_FIELDS = ["channel", "conversions", "value", "removal_effect"]


@report.command("attribution")
@click.argument("paths_file", required=False, type=click.File("r", encoding="utf-8-sig"))
@click.option(
    "--from-touchpoints",
    is_flag=True,
    help="Build the paths from the stored engagement facts instead of a file.",
)
@click.option(
    "--model",
    "models",
    type=click.Choice([m.value for m in Model]),
    multiple=True,
    help="Attribution model; repeat for several side by side [default: markov].",
)
@click.option(
    "--half-life",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_HALF_LIFE,
    show_default=True,
    help="time-decay: touches after which a touch's weight halves.",
)
@window
@chart_option
@click.pass_context
def attribution_cmd(
    ctx: click.Context,
    paths_file: Any,
    from_touchpoints: bool,
    models: tuple[str, ...],
    half_life: float,
    since: datetime | None,
    until: datetime | None,
    chart: Path | None,
) -> None:
    """Credit channels with conversions and value from PATHS_FILE.

    PATHS_FILE is a CSV with the columns path,total_conversions,total_conversion_value,
    total_null and paths written like ``a > b > c`` (ChannelAttribution's layout). The
    markov model's removal effects are solved exactly. With one model the rows are
    channel, conversions, value, removal_effect; with several, a model column comes first.
    """
    if (paths_file is None) == (not from_touchpoints):
        fail("give a PATHS_FILE or --from-touchpoints (one of them)", exit_code=EXIT_USAGE)
    if from_touchpoints:
        from crmcore.app.analytics.touchpoints import touchpoint_paths
        from crmcore.app.cli.context import app_from

        paths = unwrap(touchpoint_paths(app_from(ctx), since=day(since), until=day(until)))
        note(ctx, f"{len(paths)} distinct paths from the stored touchpoints")
    else:
        if since or until:
            note(ctx, "--from/--to apply to --from-touchpoints only; the file is read whole")
        paths = unwrap(read_paths(paths_file))
    chosen = [Model(m) for m in models] or [Model.MARKOV]
    results = attribution(paths, chosen, engine=attribution_engine(), half_life=half_life)
    several = len(results) > 1
    rows = [
        {
            "model": r.model.value,
            "channel": c.channel,
            "conversions": c.conversions,
            "value": c.value,
            "removal_effect": c.removal_effect,
        }
        for r in results
        for c in r.credits
    ]
    fields = (["model"] if several else []) + ATTRIBUTION_FIELDS
    render(rows, fields, state_from(ctx).fmt, title="attribution")
    if chart is not None:
        from crmcore.app.cli import charts

        channels = sorted({c.channel for r in results for c in r.credits})
        series = {
            r.model.value: [
                next((c.conversions for c in r.credits if c.channel == ch), 0.0) for ch in channels
            ]
            for r in results
        }
        charts.grouped_bars(
            chart, channels, series, title="Conversions credited per channel", ylabel="conversions"
        )
        note(ctx, f"chart written to {chart}")

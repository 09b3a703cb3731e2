"""``crm report``: analytics reports (C11), each as a table, JSON or CSV, with a chart.

Every report takes ``--format`` (from the root group), ``--from``/``--to`` (the window of
the facts it reads) and ``--chart FILE.png``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click

from crmcore.app.analytics.attribution import attribution, load_paths
from crmcore.app.bootstrap import attribution_engine, paths_reader
from crmcore.app.cli import charts
from crmcore.app.cli.context import app_from, fail, note, state_from, unwrap
from crmcore.app.cli.render import plain, render, to_csv
from crmcore.app.cli.views import record
from crmcore.domain.attribution import DEFAULT_HALF_LIFE, Model, PathRow
from crmcore.domain.cohorts import CohortBy, CohortMetric, CohortPeriod

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


Section = tuple[str, list[dict[str, Any]], list[str]]


def emit(ctx: click.Context, sections: list[Section]) -> None:
    """Print report sections (title, rows, fields): tables one after the other; JSON one
    object keyed by title (a plain list for a one-section report); CSV blocks, each with
    its header row, separated by an empty line."""
    fmt = state_from(ctx).fmt
    if fmt == "json" and len(sections) > 1:
        data = {
            title: [{f: plain(row.get(f)) for f in fields} for row in rows]
            for title, rows, fields in sections
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo("\n".join(to_csv(rows, fields) for _, rows, fields in sections), nl=False)
    else:
        for title, rows, fields in sections:
            render(rows, fields, fmt, title=title)


@click.group("report")
def report() -> None:
    """Analytics: attribution, funnel, cohorts, deals, leads, campaigns, health and SaaS
    metrics."""


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
    paths: Sequence[PathRow]
    if from_touchpoints:
        from crmcore.app.analytics.touchpoints import touchpoint_paths

        paths = unwrap(touchpoint_paths(app_from(ctx), since=day(since), until=day(until)))
        note(ctx, f"{len(paths)} distinct paths from the stored touchpoints")
    else:
        if since or until:
            note(ctx, "--from/--to apply to --from-touchpoints only; the file is read whole")
        paths = unwrap(load_paths(paths_file.read(), reader=paths_reader()))
    chosen = [Model(m) for m in models] or [Model.MARKOV]
    results = attribution(paths, chosen, engine=attribution_engine(), half_life=half_life)
    several = len(results) > 1
    fields = (["model"] if several else []) + ATTRIBUTION_FIELDS
    rows = [record(c, fields, model=r.model.value) for r in results for c in r.credits]
    render(rows, fields, state_from(ctx).fmt, title="attribution")
    if chart is not None:
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


STAGE_FIELDS = [
    "stage",
    "entered",
    "reached",
    "conversion_to_next",
    "drop_off",
    "median_hours",
    "p90_hours",
    "velocity_per_day",
]
TARGET_FIELDS = ["metric", "value", "target", "status"]


@report.command("funnel")
@click.option("--b2c", "kind", flag_value="b2c", default=True, help="The b2c funnel (default).")
@click.option("--b2b", "kind", flag_value="b2b", help="The b2b pipeline of deals.")
@window
@chart_option
@click.pass_context
def funnel_cmd(
    ctx: click.Context,
    kind: str,
    since: datetime | None,
    until: datetime | None,
    chart: Path | None,
) -> None:
    """Per stage: journeys that entered and reached it, conversion to the next, drop-off,
    median and p90 hours in the stage, entries per day; b2c adds the activation
    targets (time to activation < 30 min, activation rate > 60 %).

    A journey is counted when it began in the --from/--to window.
    """
    from crmcore.app.analytics.funnel import funnel_report

    result = unwrap(
        funnel_report(app_from(ctx), b2b=kind == "b2b", since=day(since), until=day(until))
    )
    stages = [attrs.asdict(s) for s in result.stages]
    sections: list[Section] = [(f"{result.kind} funnel", stages, STAGE_FIELDS)]
    if result.activation is not None:
        a = result.activation
        targets = [
            {
                "metric": "activation_rate",
                "value": a.rate,
                "target": "> 60 %",
                "status": a.rate_status.value,
            },
            {
                "metric": "time_to_activation_minutes",
                "value": a.median_minutes,
                "target": "< 30 min (median)",
                "status": a.time_status.value,
            },
        ]
        sections.append(("targets", targets, TARGET_FIELDS))
    emit(ctx, sections)
    if chart is not None:
        charts.bars(
            chart,
            [s.stage for s in result.stages],
            [float(s.reached) for s in result.stages],
            title=f"{result.kind} funnel: journeys reaching each stage",
            ylabel="journeys",
        )
        note(ctx, f"chart written to {chart}")


@report.command("cohorts")
@click.option(
    "--by",
    type=click.Choice([b.value for b in CohortBy]),
    default=CohortBy.FIRST_PURCHASE.value,
    show_default=True,
    help="Group customers by the period they signed up or first bought.",
)
@click.option(
    "--period",
    type=click.Choice([p.value for p in CohortPeriod]),
    default=CohortPeriod.MONTH.value,
    show_default=True,
    help="Cohort and column granularity: calendar months, or weeks from Monday (UTC).",
)
@click.option(
    "--metric",
    type=click.Choice([m.value for m in CohortMetric]),
    default=CohortMetric.RETENTION.value,
    show_default=True,
    help="Cells: the share of the cohort buying that month, or what it spent.",
)
@window
@chart_option
@click.pass_context
def cohorts_cmd(
    ctx: click.Context,
    by: str,
    period: str,
    metric: str,
    since: datetime | None,
    until: datetime | None,
    chart: Path | None,
) -> None:
    """The retention matrix: one row per cohort, column m<k> (w<k> by week) the k-th
    period after the cohort's (m0 is the cohort's own), and each cohort's revenue in all.
    A week is labelled by the date of its Monday."""
    from crmcore.app.analytics.cohorts import cohort_report

    chosen = CohortPeriod(period)
    rows = unwrap(
        cohort_report(
            app_from(ctx), by=CohortBy(by), since=day(since), until=day(until), period=chosen
        )
    )
    revenue = metric == CohortMetric.REVENUE.value
    width = max((len(r.retention) for r in rows), default=1)
    columns = [f"{chosen.value[0]}{k}" for k in range(width)]
    out = [
        {
            "cohort": r.cohort,
            "size": r.size,
            **dict(zip(columns, r.revenue if revenue else r.retention, strict=False)),
            "total_revenue": r.total_revenue,
        }
        for r in rows
    ]
    title = f"cohorts by {by} and {chosen.value} ({metric})"
    emit(ctx, [(title, out, ["cohort", "size", *columns, "total_revenue"])])
    if chart is not None:
        charts.heatmap(
            chart,
            [r.cohort for r in rows],
            columns,
            [
                [None if v is None else float(v) for v in (r.revenue if revenue else r.retention)]
                for r in rows
            ],
            title=f"Cohorts by {by}: {metric} per {chosen.value} after the cohort's",
        )
        note(ctx, f"chart written to {chart}")


@report.command("deals")
@window
@chart_option
@click.pass_context
def deals_cmd(
    ctx: click.Context, since: datetime | None, until: datetime | None, chart: Path | None
) -> None:
    """Per currency: deals won and lost in the window, win rate, average won deal, sales
    cycle in days (target < 60), open pipeline and its probability-weighted forecast;
    win/loss by lost reason, owner and source; the forecast per expected-close month."""
    from crmcore.app.analytics.deals import deals_report

    result = unwrap(deals_report(app_from(ctx), since=day(since), until=day(until)))
    summary = [attrs.asdict(s) for s in result.summaries]
    emit(
        ctx,
        [
            ("summary", summary, list(summary[0]) if summary else ["currency"]),
            (
                "win/loss",
                [attrs.asdict(b) for b in result.breakdowns],
                ["dimension", "key", "won", "lost", "win_rate", "won_amount"],
            ),
            (
                "forecast",
                [attrs.asdict(f) for f in result.forecast],
                ["month", "currency", "deals", "amount", "weighted"],
            ),
        ],
    )
    if chart is not None:
        months = sorted({f.month for f in result.forecast})
        series = {
            currency: [
                float(
                    sum(
                        (
                            f.weighted
                            for f in result.forecast
                            if f.month == m and f.currency == currency
                        ),
                        0,
                    )
                )
                for m in months
            ]
            for currency in sorted({f.currency for f in result.forecast})
        }
        charts.grouped_bars(
            chart, months, series, title="Probability-weighted forecast", ylabel="amount"
        )
        note(ctx, f"chart written to {chart}")


LEAD_FIELDS = ["source", "leads", "qualified", "converted", "avg_score", "conversion_rate"]


@report.command("leads")
@window
@chart_option
@click.pass_context
def leads_cmd(
    ctx: click.Context, since: datetime | None, until: datetime | None, chart: Path | None
) -> None:
    """Lead-source effectiveness: leads captured in the window per source, how many are
    qualified and converted, their average score and conversion rate."""
    from crmcore.app.analytics.leads import lead_sources

    rows = unwrap(lead_sources(app_from(ctx), since=day(since), until=day(until)))
    emit(ctx, [("lead sources", rows, LEAD_FIELDS)])
    if chart is not None:
        charts.grouped_bars(
            chart,
            [r["source"] for r in rows],
            {k: [float(r[k]) for r in rows] for k in ("leads", "qualified", "converted")},
            title="Leads per source",
            ylabel="leads",
        )
        note(ctx, f"chart written to {chart}")


CAMPAIGN_FIELDS = [
    "name",
    "kind",
    "entry",
    "status",
    "sent",
    "failed",
    "opened",
    "clicked",
    "converted",
    "open_rate",
    "click_rate",
    "conversion_rate",
    "failure_rate",
]


@report.command("campaigns")
@window
@chart_option
@click.pass_context
def campaigns_cmd(
    ctx: click.Context, since: datetime | None, until: datetime | None, chart: Path | None
) -> None:
    """Campaign performance: per campaign and drip sequence, the messages sent and
    failed in the window, how many of them were opened, clicked and converted, and the
    rates per message sent (failure rate per message attempted); best conversion first."""
    from crmcore.app.analytics.touchpoints import bounds
    from crmcore.app.marketing.campaigns import effectiveness

    start, end = bounds(day(since), day(until))
    lines = unwrap(effectiveness(app_from(ctx), since=start, until=end))
    rows = [
        record(
            x,
            CAMPAIGN_FIELDS,
            open_rate=round(x.rate(x.opened), 4),
            click_rate=round(x.rate(x.clicked), 4),
            conversion_rate=round(x.conversion, 4),
            failure_rate=round(x.failure_rate, 4),
        )
        for x in lines
    ]
    emit(ctx, [("campaigns", rows, CAMPAIGN_FIELDS)])
    if chart is not None:
        charts.grouped_bars(
            chart,
            [x.name for x in lines],
            {
                "sent": [float(x.sent) for x in lines],
                "opened": [float(x.opened) for x in lines],
                "clicked": [float(x.clicked) for x in lines],
                "converted": [float(x.converted) for x in lines],
            },
            title="Campaign performance",
            ylabel="messages",
        )
        note(ctx, f"chart written to {chart}")


MONTH_FIELDS = [
    "month",
    "mrr",
    "customers",
    "new_customers",
    "churned_customers",
    "growth",
    "logo_churn",
    "revenue_churn",
    "nrr",
]


def _amount(raw: str | None, option: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise click.BadParameter(f"{raw!r} is not an amount ≥ 0", param_hint=option)
    return value


@report.command("saas")
@click.option("--spend", default=None, help="Marketing and sales spend of the window (for CAC).")
@click.option("--cac-target", default=None, help="CAC target (below it is ok) [unset].")
@click.option("--ltv-target", default=None, help="LTV target (above it is ok) [unset].")
@window
@chart_option
@click.pass_context
def saas_cmd(
    ctx: click.Context,
    spend: str | None,
    cac_target: str | None,
    ltv_target: str | None,
    since: datetime | None,
    until: datetime | None,
    chart: Path | None,
) -> None:
    """SaaS metrics from the billing facts (payments less refunds per customer and month):
    MRR, ARR, MRR growth (target > 10 % MoM), logo and revenue churn (< 5 % monthly), NRR
    (> 100 %), ARPA, LTV, CAC, LTV:CAC (> 3:1), payback (< 12 months), NPS — each with its
    target and status — and the MRR movement per month."""
    from crmcore.app.analytics.saas import saas_report

    result = unwrap(
        saas_report(
            app_from(ctx),
            since=day(since),
            until=day(until),
            spend=_amount(spend, "--spend"),
            cac_target=_amount(cac_target, "--cac-target"),
            ltv_target=_amount(ltv_target, "--ltv-target"),
        )
    )
    metrics = [
        {"metric": m.name, "value": m.value, "target": m.target, "status": m.status.value}
        for m in result.metrics
    ]
    emit(
        ctx,
        [
            ("metrics", metrics, TARGET_FIELDS),
            ("months", [attrs.asdict(m) for m in result.months], MONTH_FIELDS),
        ],
    )
    if chart is not None:
        charts.line(
            chart,
            [m.month for m in result.months],
            {"MRR": [float(m.mrr) for m in result.months]},
            title="MRR per month",
            ylabel="MRR",
        )
        note(ctx, f"chart written to {chart}")

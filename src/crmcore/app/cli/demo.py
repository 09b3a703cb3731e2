"""``crm demo``: build a deterministic synthetic CRM and print a short tour.

The tour is a list of sections, each a key (its name in ``--format json``), a title, its
fields and a function computing its rows from use cases. A capability that arrives later
appends its section from its own CLI module::

    from crmcore.app.cli.demo import TOUR, TourSection
    TOUR.append(TourSection(key="my_report", title="...", fields=(...), rows=my_rows))

Tables stay within 100 columns; ``--format json`` prints one document whose keys are
``seed``, ``size``, ``as_of``, one per section, and ``next`` (commands to try).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import click
from rich import box
from rich.console import Console
from rich.table import Table

from crmcore.app.bootstrap import bootstrap_replayable
from crmcore.app.cli.context import note, settings_from, state_from, unwrap
from crmcore.app.cli.render import plain, text, to_csv
from crmcore.app.cli.views import cents
from crmcore.app.clv.clv import traditional_clv
from crmcore.app.context import App
from crmcore.app.demo.demo import DEMO_NOW, SIZES, DemoData, build_demo, lead_sources
from crmcore.app.intelligence.health import account_health_report
from crmcore.app.intelligence.segments import rfm_report
from crmcore.app.loyalty.board import board_view
from crmcore.app.sales.deals import pipeline_summary, slipping_deals
from crmcore.domain.health import HealthConfig, RiskLevel

#: The widest a tour table gets (an 100-column terminal shows it whole).
WIDTH = 100
#: Rows of the "worst first" sections.
TOP = 5

#: Ratios shown as percentages in the table (JSON and CSV keep the ratio).
PERCENT = frozenset({"share", "progress"})

Rows = list[dict[str, Any]]


@attrs.frozen(kw_only=True)
class TourSection:
    """One table of the tour: a JSON key, a title, its fields and a function for its rows."""

    key: str
    title: str
    fields: Sequence[str]
    rows: Callable[[App, DemoData], Rows]


def _pipeline(app: App, data: DemoData) -> Rows:
    config = app.settings.deal_stages
    return [
        {
            "stage": r.stage,
            "deals": r.deals,
            "amount": cents(r.amount),
            "currency": r.currency,
            "probability": config.probability(r.stage),
            "forecast": cents(r.weighted),
        }
        for r in unwrap(pipeline_summary(app))
    ]


def _sources(app: App, data: DemoData) -> Rows:
    return unwrap(lead_sources(app))


def _rfm(app: App, data: DemoData) -> Rows:
    report = unwrap(rfm_report(app, as_of=data.as_of))
    clv = {
        row.key: cents(row.clv)
        for row in unwrap(traditional_clv(app, as_of=data.as_of, by_segment=True))
    }
    return [
        {
            "segment": segment.value,
            "customers": count,
            "share": round(count / report.customers, 3) if report.customers else 0.0,
            "clv_3y": clv.get(segment.value),
        }
        for segment, count in report.segments
    ]


def _board(app: App, data: DemoData) -> Rows:
    view = unwrap(board_view(app))
    return [
        {
            "level": c.key,
            "cards": c.cards,
            "taken": c.active,
            "wip_limit": c.wip_limit,
            "target": c.target,
            "progress": round(c.progress, 3),
            "revenue": cents(c.revenue),
        }
        for c in view.columns
    ]


def _red_accounts(app: App, data: DemoData) -> Rows:
    rows = unwrap(account_health_report(app, config=HealthConfig(), risk=RiskLevel.RED))
    return [
        {
            "account": a.name,
            "score": a.score,
            "worst": a.worst,
            "contacts": a.contacts,
            "red": a.red,
        }
        for a in rows[:TOP]
    ]


def _slipping(app: App, data: DemoData) -> Rows:
    today = data.as_of
    rows: Rows = []
    for deal in unwrap(slipping_deals(app, today=today)):
        assert deal.expected_close is not None  # slipping deals have one
        rows.append(
            {
                "deal": deal.title,
                "stage": deal.stage,
                "amount": cents(deal.amount.amount),
                "owner": deal.owner,
                "expected_close": deal.expected_close,
                "days_late": (today - deal.expected_close).days,
            }
        )
    rows.sort(key=lambda r: (-r["days_late"], r["deal"], str(r["stage"])))
    return rows[:TOP]


TOUR: list[TourSection] = [
    TourSection(
        key="pipeline",
        title="Pipeline by stage (forecast = amount × probability %)",
        fields=("stage", "deals", "amount", "currency", "probability", "forecast"),
        rows=_pipeline,
    ),
    TourSection(
        key="lead_sources",
        title="Lead sources",
        fields=("source", "leads", "qualified", "converted", "avg_score"),
        rows=_sources,
    ),
    TourSection(
        key="rfm_segments",
        title="RFM segments (customers with purchases; clv_3y: mean traditional CLV)",
        fields=("segment", "customers", "share", "clv_3y"),
        rows=_rfm,
    ),
    TourSection(
        key="loyalty_board",
        title="Loyalty board (cards per level, taken by the team, progress to the target)",
        fields=("level", "cards", "taken", "wip_limit", "target", "progress", "revenue"),
        rows=_board,
    ),
    TourSection(
        key="accounts_in_red",
        title=f"Accounts in the red (health below 50, worst {TOP})",
        fields=("account", "score", "worst", "contacts", "red"),
        rows=_red_accounts,
    ),
    TourSection(
        key="slipping_deals",
        title=f"Slipping deals (over 14 days past expected close, worst {TOP})",
        fields=("deal", "stage", "amount", "owner", "expected_close", "days_late"),
        rows=_slipping,
    ),
]


def next_commands(data: DemoData) -> list[str]:
    """Commands that show more of what the tour summarised."""
    day = data.as_of.isoformat()
    return [
        "crm deals pipeline",
        f"crm segments rfm --as-of {day} --members at_risk",
        "crm board show",
        "crm health report --accounts --risk red",
        f"crm clv traditional --as-of {day} --by-segment",
    ]


def _cell(field: str, value: Any) -> str:
    """A table cell: money in whole units with separators, ratios as percentages."""
    if field in PERCENT and isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, Decimal):
        return f"{value:,.0f}"
    return text(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _table(section: TourSection, rows: Rows) -> str:
    """The section's title, then its rows as a borderless table at most :data:`WIDTH` wide."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for field in section.fields:
        right = all(_numeric(r.get(field)) or r.get(field) is None for r in rows)
        table.add_column(field, justify="right" if right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(f, row.get(f)) for f in section.fields))
    buffer = io.StringIO()
    Console(file=buffer, width=WIDTH, force_terminal=False, color_system=None).print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    return "\n".join([section.title, *[line for line in lines if line]]) + "\n\n"


def _print_tour(fmt: str, data: DemoData, sections: list[tuple[TourSection, Rows]]) -> None:
    if fmt == "json":
        document: dict[str, Any] = {"seed": data.seed, "size": data.size, "as_of": data.as_of}
        for section, rows in sections:
            document[section.key] = [{f: row.get(f) for f in section.fields} for row in rows]
        document["next"] = next_commands(data)
        click.echo(json.dumps(plain(document), ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        blocks = [f"# {s.key}\n{to_csv(rows, s.fields)}" for s, rows in sections]
        click.echo("\n".join(blocks), nl=False)
        return
    click.echo(f"crm demo: seed {data.seed}, size {data.size}, today is {data.as_of}\n")
    for section, rows in sections:
        if rows:
            click.echo(_table(section, rows), nl=False)
        else:
            click.echo(f"{section.title}\n  none\n")
    click.echo("Try next (with the same --db):")
    for command in next_commands(data):
        click.echo(f"  {command}")


def _demo_app(ctx: click.Context, seed: int, db_url: str | None) -> App:
    state = state_from(ctx)
    if state.app is not None:
        return state.app
    settings = state.settings or settings_from(None, state.config)
    if db_url:
        settings = attrs.evolve(settings, db_url=db_url)
    state.app = bootstrap_replayable(settings, at=DEMO_NOW, seed=seed)
    return state.app


@click.command()
@click.option("--db", "db_url", default=None, metavar="URL", help="Same as crm --db URL.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same CRM.")
@click.option(
    "--size",
    type=click.Choice(list(SIZES)),
    default="small",
    show_default=True,
    help="How big a CRM to build (small: 60 contacts, 80 leads, 30 deals).",
)
@click.pass_context
def demo(ctx: click.Context, db_url: str | None, seed: int, size: str) -> None:
    """Build a deterministic synthetic CRM (into --db) and print a short tour."""
    app = _demo_app(ctx, seed, db_url)
    data = unwrap(build_demo(app, seed=seed, size=size))
    if not data.built:
        note(ctx, f"the demo of seed {seed} ({size}) is already in this database; its tour:")
    sections = [(section, section.rows(app, data)) for section in TOUR]
    _print_tour(state_from(ctx).fmt, data, sections)

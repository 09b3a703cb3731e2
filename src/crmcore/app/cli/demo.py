"""``crm demo``: build a deterministic synthetic CRM and print a short tour.

The tour is a list of sections; capabilities that arrive later (RFM segments, the loyalty
board, health) append theirs to :data:`TOUR` from their own CLI module::

    from crmcore.app.cli.demo import TOUR, TourSection
    TOUR.append(TourSection(title="RFM segments", fields=(...), rows=my_rows))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import click

from crmcore.app.bootstrap import bootstrap_replayable
from crmcore.app.cli.context import note, state_from, unwrap
from crmcore.app.cli.render import render
from crmcore.app.cli.views import PIPELINE_FIELDS, deal_row, pipeline_row
from crmcore.app.context import App, Settings
from crmcore.app.deals import pipeline_summary, slipping_deals
from crmcore.app.demo import DEMO_NOW, SIZES, DemoData, build_demo, lead_sources


@attrs.frozen(kw_only=True)
class TourSection:
    """One table of the tour: a title, its fields and a function computing its rows."""

    title: str
    fields: Sequence[str]
    rows: Callable[[App, DemoData], list[dict[str, Any]]]


def _pipeline(app: App, data: DemoData) -> list[dict[str, Any]]:
    summary = unwrap(pipeline_summary(app))
    return [pipeline_row(r, app.settings.pipeline.probability(r.stage)) for r in summary]


def _sources(app: App, data: DemoData) -> list[dict[str, Any]]:
    return unwrap(lead_sources(app))


def _slipping(app: App, data: DemoData) -> list[dict[str, Any]]:
    today = app.clock.now().date()
    rows = []
    for deal in unwrap(slipping_deals(app, today=today))[:10]:
        row = deal_row(deal)
        assert deal.expected_close is not None
        row["days_overdue"] = (today - deal.expected_close).days
        rows.append(row)
    return rows


TOUR: list[TourSection] = [
    TourSection(
        title="Pipeline by stage (forecast = amount × probability)",
        fields=PIPELINE_FIELDS,
        rows=_pipeline,
    ),
    TourSection(
        title="Lead sources",
        fields=("source", "leads", "qualified", "converted", "avg_score"),
        rows=_sources,
    ),
    TourSection(
        title="Slipping deals (overdue > 14 days, first 10)",
        fields=("title", "stage", "amount", "currency", "owner", "expected_close", "days_overdue"),
        rows=_slipping,
    ),
]


def _demo_app(ctx: click.Context, seed: int) -> App:
    state = state_from(ctx)
    if state.app is not None:
        return state.app
    state.app = bootstrap_replayable(state.settings or Settings(), at=DEMO_NOW, seed=seed)
    return state.app


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same CRM.")
@click.option("--size", type=click.Choice(list(SIZES)), default="small", show_default=True)
@click.pass_context
def demo(ctx: click.Context, seed: int, size: str) -> None:
    """Build a deterministic synthetic CRM (into --db) and print a short tour."""
    app = _demo_app(ctx, seed)
    data = unwrap(build_demo(app, seed=seed, size=size))
    if not data.built:
        note(ctx, f"demo seed {seed} is already in this database; showing the tour")
    fmt = state_from(ctx).fmt
    for section in TOUR:
        render(section.rows(app, data), section.fields, fmt, title=section.title)

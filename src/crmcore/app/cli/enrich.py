"""``crm accounts enrich`` and ``crm leads enrich``: firmographics from the operator's
lookup table."""

from __future__ import annotations

import click

from crmcore.app.bootstrap import lookup_enricher
from crmcore.app.cli.context import app_from, fail, state_from, unwrap
from crmcore.app.cli.render import render_one
from crmcore.app.sales.enrich import enrich_accounts, enrich_leads
from crmcore.ports.enrichment import Enricher

EXIT_USAGE = 2


#: The lookup-table option both commands take.
table_option = click.option(
    "--table",
    "table_path",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="CSV",
    help="Lookup table: domain, industry, size, country (one row per company domain).",
)


def _enricher(table_path: str) -> Enricher:
    try:
        return lookup_enricher(table_path)
    except ValueError as exc:
        fail(str(exc), exit_code=EXIT_USAGE)


@click.command("enrich")
@table_option
@click.pass_context
def enrich(ctx: click.Context, table_path: str) -> None:
    """Fill each account's empty industry, size range and region from the lookup table,
    by its website's domain. A value a person entered is never overwritten."""
    report = unwrap(enrich_accounts(app_from(ctx), _enricher(table_path)))
    fields = ["accounts", "looked_up", "found", "enriched"]
    render_one({f: getattr(report, f) for f in fields}, fields, state_from(ctx).fmt)


@click.command("enrich")
@table_option
@click.pass_context
def enrich_leads_cmd(ctx: click.Context, table_path: str) -> None:
    """Fill each lead's empty industry and region from the lookup table, by the domain of
    its website (metadata) or e-mail. A value a person entered is never overwritten."""
    report = unwrap(enrich_leads(app_from(ctx), _enricher(table_path)))
    fields = ["leads", "looked_up", "found", "enriched"]
    render_one({f: getattr(report, f) for f in fields}, fields, state_from(ctx).fmt)

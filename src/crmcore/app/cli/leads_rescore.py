"""``crm leads rescore``: rescore every lead with the configured policy."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.app.cli.context import app_from, unwrap
from crmcore.app.cli.progress import bar_for
from crmcore.app.config import load_config
from crmcore.app.intelligence.scoring import rescore_leads


@click.command("rescore")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML policy file (default: $CRMCORE_CONFIG, else the documented defaults).",
)
@click.pass_context
def rescore(ctx: click.Context, config_path: Path | None) -> None:
    """Recompute every lead's score; events only for changed scores."""

    config = unwrap(load_config(config_path))
    app = app_from(ctx)
    with bar_for(ctx, "rescoring") as progress:
        summary = unwrap(rescore_leads(app, config=config.scoring, progress=progress))
    click.echo(
        f"scored {summary.scored} leads, {summary.changed} changed, "
        f"{summary.crossed} crossed {config.scoring.hot_threshold}"
    )

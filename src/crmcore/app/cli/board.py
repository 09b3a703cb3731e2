"""``crm board``: the loyalty ladder as a kanban board."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import attrs
import click
from returns.result import Failure, Result

from crmcore.app.cli.context import app_from, fail, state_from
from crmcore.app.cli.progress import bar_for
from crmcore.app.cli.render import cell, plain
from crmcore.app.errors import AppError
from crmcore.app.importing.csvio import csv_text
from crmcore.app.loyalty.board import (
    BoardView,
    board_cards,
    board_view,
    cohort_revenue,
    get_card,
    movements,
    override_card,
    place_all,
    release_card,
    stuck_report,
    take_card,
)
from crmcore.app.loyalty.config import BOARD_ENV, default_template, load_board
from crmcore.app.loyalty.imports import read_customers_csv
from crmcore.domain.errors import InvalidInput
from crmcore.domain.loyalty import CardId

T = TypeVar("T")

EXIT_REFUSED = 1  # as in crmcore.app.cli.main: a refused command


def _unwrap(result: Result[T, AppError]) -> T:
    if isinstance(result, Failure):
        error = result.failure()
        if isinstance(error, InvalidInput):
            for item in error.errors:
                click.echo(f"error: {item}", err=True)
            sys.exit(EXIT_REFUSED)
        fail(str(error), exit_code=EXIT_REFUSED)
    return result.unwrap()


def _plain(value: Any) -> Any:
    """A JSON/CSV-ready form of a report value (:func:`plain`, and records as objects)."""
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return plain(value)


def _number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    return isinstance(value, str) and value.replace(".", "", 1).isdigit()


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain aligned text: numbers right, text left."""
    cells = [[str(h) for h in headers], *[[cell(v) for v in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        any(_number(r[i]) for r in rows) and all(_number(r[i]) or r[i] in ("", None) for r in rows)
        for i in range(len(headers))
    ]
    lines = []
    for row in cells:
        parts = [
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _emit(fmt: str, headers: Sequence[str], rows: Sequence[Sequence[object]], data: Any) -> None:
    if fmt == "json":
        click.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(csv_text(headers, ([_plain(v) for v in r] for r in rows)), nl=False)
    else:
        click.echo(_table(headers, rows))


def _card_id(raw: str) -> CardId:
    try:
        return CardId(UUID(raw.strip()))
    except ValueError:
        fail(f"CARD: {raw!r} is not a card id (the customer's UUID)", exit_code=EXIT_REFUSED)


@click.group()
@click.option(
    "--board",
    "board_file",
    envvar=BOARD_ENV,
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Board TOML replacing the default seven-level ladder (also ${BOARD_ENV}).",
)
@click.pass_context
def board(ctx: click.Context, board_file: str | None) -> None:
    """The loyalty ladder as a kanban board: levels, cards, WIP limits, moves."""
    if ctx.resilient_parsing or ctx.invoked_subcommand == "template":
        return
    config = load_board(board_file)
    if isinstance(config, Failure):
        for item in config.failure().errors:
            click.echo(f"error: {item}", err=True)
        sys.exit(EXIT_REFUSED)
    from crmcore.app.cli.context import settings_from

    state = state_from(ctx)
    chosen = config.unwrap()
    state.settings = attrs.evolve(state.settings or settings_from(None, state.config), board=chosen)
    if state.app is not None:
        state.app = attrs.evolve(state.app, settings=attrs.evolve(state.app.settings, board=chosen))


def _bar(progress: float, width: int = 10) -> str:
    filled = round(progress * width)
    return "[" + "#" * filled + "-" * (width - filled) + f"] {progress * 100:3.0f}%"


@board.command()
@click.option(
    "--cards",
    "list_cards",
    is_flag=True,
    help="List the cards instead: customer, level, owner, days in the level, next action.",
)
@click.option("--level", default=None, metavar="KEY", help="With --cards: only this level.")
@click.pass_context
def show(ctx: click.Context, list_cards: bool, level: str | None) -> None:
    """Columns with card counts, WIP use, progress to the target and revenue (--cards: the
    cards themselves)."""
    fmt = state_from(ctx).fmt
    if list_cards:
        _show_cards(ctx, level)
        return
    if level is not None:
        raise click.UsageError("--level filters the card list: use it with --cards")
    view: BoardView = _unwrap(board_view(app_from(ctx)))
    headers = ["#", "level", "cards", "wip", "target", "progress", "revenue", "exit metric"]
    rows = [
        [
            i,
            c.name,
            c.cards,
            f"{c.active}/{c.wip_limit}",
            c.target,
            _bar(c.progress),
            c.revenue,
            c.exit,
        ]
        for i, c in enumerate(view.columns, start=1)
    ]
    if fmt == "table":
        rows.append(["", "total", view.cards, "", view.target, "", "", ""])
    data = {
        "cards": view.cards,
        "target": view.target,
        "columns": [{**_plain(c), "progress": round(c.progress, 4)} for c in view.columns],
    }
    _emit(fmt, headers, rows, data)


def _show_cards(ctx: click.Context, level: str | None) -> None:
    lines = _unwrap(board_cards(app_from(ctx), level=level))
    fmt = state_from(ctx).fmt
    headers = ["card", "customer", "level", "owner", "days", "next action"]
    rows = [
        [
            str(x.card.id),
            x.card.name,
            x.card.level,
            x.card.holder or "",
            f"{x.days_in_level:.1f}",
            x.next_action,
        ]
        for x in lines
    ]
    data = [
        {
            "card": str(x.card.id),
            "customer": x.card.name,
            "contact": x.card.contact,
            "level": x.card.level,
            "owner": x.card.holder,
            "days_in_level": round(x.days_in_level, 4),
            "next_action": x.next_action,
        }
        for x in lines
    ]
    if fmt == "table" and not rows:
        click.echo("no cards on the board" + (f" at level {level}" if level else ""))
        return
    _emit(fmt, headers, rows, data)


@board.command()
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CSV of customers to import first: customer,name,contact,kind,first_interaction,<facts>.",
)
@click.pass_context
def place(ctx: click.Context, facts_file: str | None) -> None:
    """Place every customer on the highest level its facts support (idempotent)."""
    fmt = state_from(ctx).fmt
    imports = []
    if facts_file is not None:
        text = Path(facts_file).read_text(encoding="utf-8-sig")
        imports = _unwrap(read_customers_csv(text))
    app = app_from(ctx)
    with bar_for(ctx, "placing") as progress:
        done = _unwrap(place_all(app, imports=imports, progress=progress))
    view = _unwrap(board_view(app))
    if fmt == "json":
        click.echo(
            json.dumps({"placement": _plain(done), "columns": _plain(view.columns)}, indent=2)
        )
        return
    click.echo(
        f"imported {done.imported}, opened {done.opened}, moved {done.moved}, "
        f"unchanged {done.unchanged}, skipped {len(done.skipped)}"
    )
    click.echo(_table(["level", "cards"], [[c.name, c.cards] for c in view.columns]))


@board.command()
@click.argument("card")
@click.option("--owner", required=True, help="The team member who works on the card.")
@click.pass_context
def take(ctx: click.Context, card: str, owner: str) -> None:
    """Make a card active for OWNER (refused beyond the column's WIP limit)."""
    taken = _unwrap(take_card(app_from(ctx), _card_id(card), owner=owner))
    click.echo(f"{taken.name} ({taken.level}) taken by {taken.holder}")


@board.command()
@click.argument("card")
@click.pass_context
def release(ctx: click.Context, card: str) -> None:
    """Make a card inactive again."""
    released = _unwrap(release_card(app_from(ctx), _card_id(card)))
    click.echo(f"{released.name} ({released.level}) released")


@board.command()
@click.argument("card")
@click.option("--to", "to", required=True, help="The target level key.")
@click.option("--reason", required=True, help="Why the operator overrides the metrics.")
@click.pass_context
def move(ctx: click.Context, card: str, to: str, reason: str) -> None:
    """Override: move a card to any level (left too), with a recorded reason. A held card
    is released by the move: its column's WIP count drops by one."""
    app = app_from(ctx)
    before = _unwrap(get_card(app, _card_id(card)))
    moved = _unwrap(override_card(app, _card_id(card), to=to, reason=reason))
    released = (
        f" (released by {before.holder}: the work on {before.level} is done)"
        if before.holder
        else ""
    )
    click.echo(f"{moved.name} moved to {moved.level}{released}")


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


@board.command()
@click.pass_context
def stuck(ctx: click.Context) -> None:
    """Per transition: waiting cards, median and p90 wait (days), and the playbook."""
    fmt = state_from(ctx).fmt
    rows = _unwrap(stuck_report(app_from(ctx)))
    headers = ["transition", "waiting", "median_days", "p90_days", "exit metric", "playbook"]
    table = [
        [
            f"{r.from_level} -> {r.to_level}",
            r.waiting,
            _days(r.median_days),
            _days(r.p90_days),
            r.exit,
            r.playbook,
        ]
        for r in rows
    ]
    _emit(fmt, headers, table, rows)


def _since(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        fail(f"--since: {raw!r} must be a date (YYYY-MM-DD)", exit_code=EXIT_REFUSED)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@board.command(name="movements")
@click.option("--since", default=None, help="Only moves on or after this date (YYYY-MM-DD).")
@click.pass_context
def movements_cmd(ctx: click.Context, since: str | None) -> None:
    """The movement log: card, from, to, at, cause, override reason."""
    fmt = state_from(ctx).fmt
    moves = _unwrap(movements(app_from(ctx), since=_since(since)))
    headers = ["card", "from", "to", "at", "cause", "override_reason"]
    rows = [
        [str(m.card_id), m.from_level, m.to_level, m.at.isoformat(), m.cause, m.override_reason]
        for m in moves
    ]
    _emit(fmt, headers, rows, moves)


@board.command(name="cohort-revenue")
@click.pass_context
def cohort_revenue_cmd(ctx: click.Context) -> None:
    """Revenue per first-interaction-month cohort and level."""
    fmt = state_from(ctx).fmt
    rows = _unwrap(cohort_revenue(app_from(ctx)))
    headers = ["cohort", "level", "customers", "revenue"]
    _emit(fmt, headers, [[r.cohort, r.level, r.customers, r.revenue] for r in rows], rows)


@board.command()
def template() -> None:
    """Print the default board TOML (a starting point for --board)."""
    click.echo(default_template(), nl=False)

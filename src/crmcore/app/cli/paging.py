"""What every ``crm ... list`` shares: a page of 50 by default, ``--all`` to stream every
row, ``--columns`` to choose the fields, and tables that fit the terminal."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

import attrs
import click

from crmcore.app.cli.context import note, state_from
from crmcore.app.cli.render import (
    Row,
    fit_columns,
    parse_columns,
    plain,
    render,
    terminal_width,
    to_csv,
)

F = TypeVar("F", bound=Callable[..., Any])

#: Rows a list shows unless ``--limit`` or ``--all`` says otherwise.
DEFAULT_LIMIT = 50
#: Rows fetched and printed at a time by ``--all``.
STREAM_PAGE = 1000


@attrs.frozen(kw_only=True)
class Paging:
    """The page a list shows: ``--limit``, ``--offset``, ``--all`` and ``--columns``."""

    limit: int
    offset: int
    all_rows: bool
    columns: str | None


def page_options(command: F) -> F:
    """``--limit N`` (default 50), ``--offset N``, ``--all`` and ``--columns a,b``, handed
    to the command as one :class:`Paging`, ``page``."""

    @functools.wraps(command)
    def paged(
        *args: Any, limit: int, offset: int, all_rows: bool, columns: str | None, **kwargs: Any
    ) -> Any:
        page = Paging(limit=limit, offset=offset, all_rows=all_rows, columns=columns)
        return command(*args, page=page, **kwargs)

    for option in reversed(
        [
            click.option(
                "--limit",
                type=click.IntRange(min=0),
                default=DEFAULT_LIMIT,
                show_default=True,
                help="Rows to show.",
            ),
            click.option(
                "--offset", type=click.IntRange(min=0), default=0, help="Rows to skip first."
            ),
            click.option(
                "--all", "all_rows", is_flag=True, help="Every row, streamed (no --limit)."
            ),
            click.option(
                "--columns",
                default=None,
                metavar="A,B",
                help="Fields to print [table: those that fit the terminal; json/csv: all].",
            ),
        ]
    ):
        paged = option(paged)
    return cast(F, paged)


def show_page(
    ctx: click.Context,
    rows: Sequence[Row],
    fields: Sequence[str],
    *,
    columns: str | None,
    priority: Sequence[str],
    title: str,
    offset: int,
    more: int | None,
) -> None:
    """Print one page and, on stderr, how many rows follow it (``more``: ``-1`` when some
    follow but their number is unknown)."""
    fmt = state_from(ctx).fmt
    chosen = parse_columns(columns, fields)
    if chosen is None:
        chosen = (
            list(fields)
            if fmt != "table"
            else fit_columns(rows, fields, priority, terminal_width())
        )
    render(rows, chosen, fmt, title=title)
    if more:
        count = "more rows follow" if more < 0 else f"{more:,} more"
        note(
            ctx,
            f"{count}; --limit/--offset {offset + len(rows)} for the next page, "
            "--all for every row",
        )


def stream_all(
    ctx: click.Context,
    pages: Iterator[Sequence[Row]],
    fields: Sequence[str],
    *,
    columns: str | None,
    priority: Sequence[str],
    title: str,
) -> None:
    """Print every row page by page as it is read: one JSON list, one CSV header, and
    a table per page whose columns are chosen from the first page."""
    fmt = state_from(ctx).fmt
    chosen = parse_columns(columns, fields)
    first = True
    for rows in pages:
        if chosen is None:
            chosen = (
                list(fields)
                if fmt != "table"
                else fit_columns(rows, fields, priority, terminal_width())
            )
        if fmt == "json":
            for row in rows:
                data = json.dumps({f: plain(row.get(f)) for f in chosen}, ensure_ascii=False)
                click.echo(("[\n  " if first else ",\n  ") + data, nl=False)
                first = False
        elif fmt == "csv":
            text = to_csv(rows, chosen)
            click.echo(text if first else text.split("\n", 1)[1], nl=False)
            first = False
        elif rows:
            render(rows, chosen, fmt, title=title if first else None)
            first = False
    if fmt == "json":
        click.echo("[]" if first else "\n]")
    elif first and fmt == "table":
        click.echo(f"{title}: nothing to show")
    elif first:
        click.echo(to_csv([], chosen or list(fields)), nl=False)


Fetch = Callable[[int, int], list[dict[str, Any]]]


def pages(fetch: Fetch) -> Iterator[list[dict[str, Any]]]:
    """Every row ``fetch(start, count)`` gives, :data:`STREAM_PAGE` at a time."""
    start = 0
    while True:
        rows = fetch(start, STREAM_PAGE)
        if rows:
            yield rows
        if len(rows) < STREAM_PAGE:
            return
        start += len(rows)


def list_rows(
    ctx: click.Context,
    fetch: Fetch,
    fields: Sequence[str],
    page: Paging,
    *,
    priority: Sequence[str],
    title: str,
    total: Callable[[], int] | None = None,
) -> None:
    """A page of a list and how many rows follow it: exactly when ``total()`` counts the
    rows, else one row past the page tells whether any follow."""
    limit, offset, columns = page.limit, page.offset, page.columns
    if page.all_rows:
        stream_all(ctx, pages(fetch), fields, columns=columns, priority=priority, title=title)
        return
    if total is not None:
        rows = fetch(offset, limit)
        more = max(0, total() - offset - len(rows)) if len(rows) == limit else 0
    else:
        rows = fetch(offset, limit + 1)
        more = -1 if len(rows) > limit else 0
    show_page(
        ctx,
        rows[:limit],
        fields,
        columns=columns,
        priority=priority,
        title=title,
        offset=offset,
        more=more,
    )

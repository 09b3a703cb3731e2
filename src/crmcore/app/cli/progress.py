"""Progress bars on stderr for long commands (on a terminal, without ``-q``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crmcore.app.cli.context import state_from

#: Work with fewer items than this finishes before a bar would help: none is drawn.
PROGRESS_MIN_ROWS = 5_000


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """``update(phase, done, total)`` drawing one bar per phase, or None when disabled."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        if total < PROGRESS_MIN_ROWS:
            return
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done)

    with bar:
        yield update


def shows_progress(ctx: click.Context) -> bool:
    """Bars go to a terminal's stderr, and never under ``-q``."""
    return not state_from(ctx).quiet and sys.stderr.isatty()


@contextmanager
def bar_for(ctx: click.Context, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback for a use case, drawing one bar named ``label``."""
    with progress_bar(shows_progress(ctx)) as update:
        if update is None:
            yield None
            return

        def progress(done: int, total: int) -> None:
            update(label, done, total)

        yield progress

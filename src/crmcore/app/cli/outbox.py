"""``crm outbox relay | status | retry``: the transactional outbox from the operator's side."""

from __future__ import annotations

import json
import signal
from types import FrameType
from typing import TypeVar
from uuid import UUID

import click
from returns.result import Failure, Result

from crmcore.app.bootstrap import (
    UnsupportedDatabase,
    UnsupportedPublisher,
    bootstrap,
    make_publisher,
)
from crmcore.app.cli.context import fail, settings_of, state_from
from crmcore.app.context import App
from crmcore.app.errors import AppError
from crmcore.app.events.outbox import (
    RelayRetryPolicy,
    outbox_status,
    relay_until_idle,
    retry_dead_letters,
    run_relay,
)
from crmcore.ports.errors import StorageError

EXIT_REFUSED = 1
T = TypeVar("T")


def _value(result: Result[T, AppError]) -> T:
    if isinstance(result, Failure):
        fail(str(result.failure()), exit_code=EXIT_REFUSED)
    return result.unwrap()


def _app(ctx: click.Context, publisher: str | None = None) -> App:
    settings = settings_of(ctx)
    try:
        pub = make_publisher(publisher) if publisher else None
        return bootstrap(settings, publisher=pub, webhooks=True)
    except (UnsupportedDatabase, UnsupportedPublisher, StorageError) as exc:
        fail(str(exc), exit_code=EXIT_REFUSED)


@click.group("outbox")
def outbox_group() -> None:
    """The transactional outbox: relay events to the publisher, inspect, retry."""


@outbox_group.command("relay")
@click.option(
    "--publisher",
    envvar="CRMCORE_PUBLISHER",
    required=True,
    help="jsonl:PATH | redis://host:port/db[?stream=NAME] (or CRMCORE_PUBLISHER).",
)
@click.option("--once", is_flag=True, help="Relay what is due, then exit.")
@click.option(
    "--batch",
    default=100,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Events published per transaction.",
)
@click.option(
    "--max-attempts",
    default=8,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Failed publishes after which an event is dead-lettered (waits double from 1 s).",
)
@click.option("--idle", default=1.0, show_default=True, help="Seconds to sleep when idle.")
@click.pass_context
def relay(
    ctx: click.Context, publisher: str, once: bool, batch: int, max_attempts: int, idle: float
) -> None:
    """Publish pending events in order, at least once; failures back off, then dead-letter."""
    app = _app(ctx, publisher)
    policy = RelayRetryPolicy(max_attempts=max_attempts)
    if once:
        report = _value(relay_until_idle(app, batch=batch, policy=policy))
    else:
        stop = {"now": False}

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        report = _value(
            run_relay(
                app, batch=batch, policy=policy, idle_seconds=idle, should_stop=lambda: stop["now"]
            )
        )
    click.echo(f"sent {report.sent}, failed {report.failed}, dead-lettered {report.dead_lettered}")


@outbox_group.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Counts of pending, sent and dead-lettered events, and the dead letters."""
    fmt = state_from(ctx).fmt
    stats, dead = _value(outbox_status(_app(ctx)))
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "pending": stats.pending,
                    "sent": stats.sent,
                    "dead": stats.dead,
                    "oldest_pending": stats.oldest_pending.isoformat()
                    if stats.oldest_pending
                    else None,
                    "dead_letters": [
                        {
                            "id": str(e.envelope.id),
                            "type": e.envelope.type,
                            "attempts": e.attempts,
                            "error": e.last_error,
                        }
                        for e in dead
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(f"pending {stats.pending}  sent {stats.sent}  dead {stats.dead}")
    if stats.oldest_pending:
        click.echo(f"oldest pending event: {stats.oldest_pending.isoformat()}")
    for e in dead:
        click.echo(
            f"dead  {e.envelope.id}  {e.envelope.type}  attempts={e.attempts}  {e.last_error}"
        )


@outbox_group.command("retry")
@click.option("--id", "ids", multiple=True, help="Event id to retry (default: every dead letter).")
@click.pass_context
def retry(ctx: click.Context, ids: tuple[str, ...]) -> None:
    """Put dead-lettered events back in the stream."""
    try:
        wanted = [UUID(i) for i in ids] if ids else None
    except ValueError as exc:
        fail(f"--id: not a UUID ({exc})", exit_code=EXIT_REFUSED)
    count = _value(retry_dead_letters(_app(ctx), event_ids=wanted))
    click.echo(f"{count} event(s) back in the stream")

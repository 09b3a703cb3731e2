"""``crm events``: ingest JSON lines, work the inbox, status, schemas, failed events.

Exit codes: 0 success; 1 refused (the message says why); 2 invalid input; 3 ``ingest``
accepted the file but some lines were rejected (they are kept: ``crm events failed
list``); 4 storage unavailable (``ingest`` first prints what it did commit).
"""

from __future__ import annotations

import io
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from itertools import islice
from typing import IO, Any, TypeVar
from uuid import UUID

import attrs
import click
from returns.result import Failure

from crmcore.app.cli.context import CommandFailed, app_from, state_from, unwrap
from crmcore.app.cli.render import render, render_one
from crmcore.app.errors import AppError
from crmcore.app.events.inspect import get_failed
from crmcore.app.events.worker import (
    discard_failed,
    ingest_events,
    list_failed,
    live_leases,
    pipeline_status,
    process_inbox,
    retry_failed,
    revive_dead,
)
from crmcore.app.importing.csvio import NOT_TEXT, looks_binary
from crmcore.app.logging import configure_logging
from crmcore.codec.interaction_schemas import schema_text
from crmcore.domain.inbox import FailedStatus, Lease
from crmcore.domain.interactions import InteractionType

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_REJECTED_LINES = 3
#: Bytes of an events file looked at to tell text from binary.
TEXT_SAMPLE = 64 * 1024
INGEST_BATCH = 1000

F = TypeVar("F", bound=Callable[..., Any])


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@click.group("events")
@click.option("--log-level", default="WARNING", show_default=True, help="Pipeline log level.")
@click.option("--log-json", is_flag=True, help="Log pipeline steps as JSON lines on stderr.")
def events(log_level: str, log_json: bool) -> None:
    """The event pipeline: ingest, process, monitor and repair incoming events."""
    configure_logging(level=log_level, json_format=log_json)


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``stream``; a binary stream stops the command (exit 2, no bytes shown)."""
    head = stream.read(TEXT_SAMPLE)
    if looks_binary(head):
        name = getattr(stream, "name", "input")
        raise CommandFailed(f"{name}: {NOT_TEXT}", exit_code=EXIT_USAGE)
    rest = stream.readline() if head and not head.endswith(b"\n") else b""
    for raw in itertools.chain(io.BytesIO(head + rest), stream):
        line = raw.rstrip(b"\r\n")
        yield line


@events.command("ingest")
@click.argument("source", type=click.File("rb"))
@click.pass_context
def ingest(ctx: click.Context, source: IO[bytes]) -> None:
    """Accept events from a JSON-lines FILE (or - for stdin), one transaction per batch.

    Blank lines are skipped; every bad line is reported with its number and kept in the
    failed-events store; the rest of the file is accepted.
    """
    fmt = state_from(ctx).fmt
    app = app_from(ctx)
    accepted = duplicates = 0
    rejected: list[dict[str, Any]] = []
    numbered = ((n, line) for n, line in enumerate(_lines(source), start=1) if line.strip())
    failure: AppError | None = None
    while True:
        chunk = list(islice(numbered, INGEST_BATCH))
        if not chunk:
            break
        done = ingest_events(
            app,
            [line for _, line in chunk],
            source="cli",
            line_numbers=[n for n, _ in chunk],
        )
        if isinstance(done, Failure):  # the batches before it are committed: say so
            failure = done.failure()
            break
        report = done.unwrap()
        accepted += report.accepted
        duplicates += report.duplicates
        rejected.extend(
            {
                "line": r.line,
                "event_id": r.event_id,
                "failed_id": str(r.failed_id),
                "errors": [
                    {"path": e.field, "reason": e.reason, "value": e.value} for e in r.errors
                ],
            }
            for r in report.rejected
        )
    if fmt == "json":
        emit_json({"accepted": accepted, "duplicates": duplicates, "rejected": rejected})
    else:
        click.echo(f"accepted {accepted}, duplicates {duplicates}, rejected {len(rejected)}")
        for r in rejected:
            for e in r["errors"]:
                click.echo(f"line {r['line']}: {e['path']}: {e['reason']}", err=True)
    if failure is not None:
        raise CommandFailed(failure)
    if rejected:
        sys.exit(EXIT_REJECTED_LINES)


@events.command("work")
@click.option("--once", is_flag=True, help="Process one batch and stop.")
@click.option(
    "--batch",
    default=10_000,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Events applied per transaction.",
)
@click.option("--worker", default="cli", show_default=True, help="This worker's name.")
@click.option(
    "--wait",
    is_flag=True,
    help="When other workers hold leased events, wait until they finish or their leases"
    " run out, and apply what becomes due.",
)
@click.pass_context
def work(ctx: click.Context, once: bool, batch: int, worker: str, wait: bool) -> None:
    """Process due inbox events until none is left (or one batch with --once)."""
    fmt = state_from(ctx).fmt
    app = app_from(ctx)
    report = unwrap(process_inbox(app, batch=batch, worker=worker, once=once, wait=wait))
    leases = unwrap(live_leases(app))
    fields: dict[str, Any] = attrs.asdict(report)
    if fmt == "json":
        emit_json({**fields, "leased": [_lease_json(le) for le in leases]})
        return
    click.echo(", ".join(f"{k} {v}" for k, v in fields.items()))
    if leases:
        held = sum(le.events for le in leases)
        until = max(le.until for le in leases)
        click.echo(
            f"{held} events are leased by other workers until {until.isoformat()} at the"
            " latest (crm events status shows who holds them; --wait waits for them)"
        )


def _lease_json(lease: Lease) -> dict[str, Any]:
    return {"worker": lease.worker, "events": lease.events, "until": lease.until.isoformat()}


@events.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Inbox counts by status, dead letters, open failed events and review items, and
    the customers whose health the worker is still to reassess."""
    fmt = state_from(ctx).fmt
    st = unwrap(pipeline_status(app_from(ctx)))
    dead = [
        {"event_id": e.event_id, "attempts": e.attempts, "last_error": e.last_error}
        for e in st.dead
    ]
    if fmt == "json":
        emit_json(
            {
                "inbox": dict(st.inbox),
                "dead": dead,
                "failed_open": st.failed_open,
                "review_open": st.review_open,
                "health_due": st.health_due,
                "leased": [_lease_json(le) for le in st.leases],
            }
        )
        return
    rows = [{"count": f"inbox {name}", "events": n, "see": ""} for name, n in st.inbox.items()] + [
        {"count": "failed events, open", "events": st.failed_open, "see": "crm events failed list"},
        {"count": "review items, open", "events": st.review_open, "see": "crm review list"},
        {"count": "customers, health due", "events": st.health_due, "see": "crm events work"},
    ]
    render(rows, ["count", "events", "see"], fmt, title="event pipeline")
    if dead and fmt == "table":
        render(dead, ["event_id", "attempts", "last_error"], fmt, title="dead letters")
    if st.leases and fmt == "table":
        render(
            [
                {"worker": le.worker or "", "events": le.events, "until": le.until.isoformat()}
                for le in st.leases
            ],
            ["worker", "events", "until"],
            fmt,
            title="leased",
        )


@events.command("schema")
@click.argument("kind", type=click.Choice([t.value for t in InteractionType]))
def schema(kind: str) -> None:
    """Print the JSON Schema of one event type."""
    click.echo(schema_text(kind), nl=False)


@events.command("revive")
@click.argument("event_id")
@click.pass_context
def revive(ctx: click.Context, event_id: str) -> None:
    """Give a dead-lettered event a fresh set of attempts."""
    entry = unwrap(revive_dead(app_from(ctx), event_id))
    click.echo(f"{entry.event_id} is pending again")


@events.group("failed")
def failed() -> None:
    """Events that could not be accepted: list, retry after a fix, discard."""


@failed.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in FailedStatus] + ["all"]),
    default="open",
    show_default=True,
    help="Only failed events in this state (all: every state).",
)
@click.option(
    "--limit", default=100, show_default=True, help="Show at most this many, oldest first."
)
@click.pass_context
def failed_list(ctx: click.Context, status: str, limit: int) -> None:
    """Failed events with every reason."""
    fmt = state_from(ctx).fmt
    wanted = None if status == "all" else FailedStatus(status)
    rows = unwrap(list_failed(app_from(ctx), status=wanted, limit=limit))
    data: list[dict[str, Any]] = [
        {
            "id": str(f.id),
            "event_id": f.event_id,
            "line": f.line,
            "status": f.status.value,
            "attempts": f.attempts,
            "errors": [{"path": e.field, "reason": e.reason} for e in f.errors],
        }
        for f in rows
    ]
    if fmt == "json":
        emit_json(data)
        return
    flat = [
        {**f, "errors": "; ".join(f"{e['path']}: {e['reason']}" for e in f["errors"])} for f in data
    ]
    fields = ["id", "event_id", "line", "status", "attempts", "errors"]
    render(flat, fields, fmt, title="failed events")


@failed.command("show")
@click.argument("failed_id", type=click.UUID)
@click.pass_context
def failed_show(ctx: click.Context, failed_id: UUID) -> None:
    """One failed event with every reason and its stored payload (fix it, then
    ``crm events failed retry ID --payload FILE``)."""
    fmt = state_from(ctx).fmt
    f = unwrap(get_failed(app_from(ctx), failed_id))
    record = {
        "id": str(f.id),
        "event_id": f.event_id,
        "source": f.source,
        "line": f.line,
        "status": f.status.value,
        "attempts": f.attempts,
        "received_at": f.received_at,
        "errors": "; ".join(f"{e.field}: {e.reason}" for e in f.errors),
        "payload": f.raw,
    }
    if fmt == "table":
        render_one({k: v for k, v in record.items() if k != "payload"}, list(record)[:-1], fmt)
        click.echo(f.raw)
        return
    render_one(record, list(record), fmt)


@failed.command("retry")
@click.argument("failed_id", type=click.UUID)
@click.option("--payload", type=click.File("rb"), help="A corrected event (one JSON object).")
@click.pass_context
def failed_retry(ctx: click.Context, failed_id: UUID, payload: IO[bytes] | None) -> None:
    """Validate a failed event again, as stored or as corrected with --payload."""
    fixed = payload.read() if payload is not None else None
    outcome = unwrap(retry_failed(app_from(ctx), failed_id, fixed=fixed))
    if outcome.accepted:
        click.echo(f"{failed_id} accepted into the inbox")
        return
    for e in outcome.errors:
        click.echo(f"still invalid: {e.field}: {e.reason}", err=True)
    sys.exit(EXIT_REFUSED)


@failed.command("discard")
@click.argument("failed_id", type=click.UUID)
@click.pass_context
def failed_discard(ctx: click.Context, failed_id: UUID) -> None:
    """Give up on a failed event (it stays listed with --status discarded)."""
    unwrap(discard_failed(app_from(ctx), failed_id))
    click.echo(f"{failed_id} discarded")

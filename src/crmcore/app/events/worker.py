"""Event pipeline use cases: accept, process, retry, review.

Accepting stores valid events in the inbox and invalid ones in the failed-events store,
one transaction per batch. Processing claims due entries with a lease, then applies each
one in its own unit of work *together with* marking it done, so a crash or a re-delivery
never applies an event twice. A failing downstream port puts the entry back with a
backoff; what a model cannot decide goes to the review queue.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App
from crmcore.app.errors import AppError, Conflict, NotFound, StorageFailure
from crmcore.app.events.apply import (
    Batch,
    ContactCache,
    NeedsReview,
    apply_in_batch,
    apply_interaction,
)
from crmcore.app.events.collections_gc import PIPELINE_THRESHOLD, fewer_collections
from crmcore.app.events.config import EventServices
from crmcore.app.intelligence.health import reassess_due
from crmcore.app.logging import get_logger, log_step
from crmcore.codec.interactions_fast import accept_fast, canonical_interaction
from crmcore.codec.jsontext import StrictDecoder
from crmcore.domain.errors import FieldError, IllegalTransition, RuleViolation
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import (
    FAILED_EVENTS,
    AcceptedEvent,
    FailedEvent,
    FailedStatus,
    InboxEntry,
    InboxStatus,
    Lease,
)
from crmcore.domain.interactions import (
    Interaction,
    parse_interaction,
)
from crmcore.domain.review import (
    Resolution,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
)
from crmcore.domain.sentiment import SentimentLabel
from crmcore.ports.errors import ConcurrentModification, DuplicateKey, StorageError
from crmcore.ports.event_processing import DownstreamUnavailable, EventUnitOfWork

MAX_LINE = 1_000_000
_log = get_logger()


# --- accepting ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Rejected:
    """One input that was not accepted, where it was, and why."""

    line: int
    event_id: str | None
    errors: tuple[FieldError, ...]
    failed_id: UUID


@attrs.frozen(kw_only=True)
class IngestReport:
    """What a batch did: accepted, already known, rejected (kept in failed events)."""

    accepted: int
    duplicates: int
    rejected: tuple[Rejected, ...] = ()


RawEvent = Mapping[str, Any] | str | bytes


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: One decoder for every line (``json.loads`` with an option builds a decoder per call).
_DECODER = StrictDecoder(parse_constant=_no_constants)


def decode_raw(raw: RawEvent) -> tuple[object, str, tuple[FieldError, ...]]:
    """The JSON value of one input, its text, and the errors of reading it."""
    if isinstance(raw, Mapping):
        try:
            return raw, json.dumps(raw, ensure_ascii=False, default=str), ()
        except ValueError as exc:  # circular structures
            return None, repr(raw)[:MAX_LINE], (FieldError(field="$", value="", reason=str(exc)),)
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            shown = raw[:MAX_LINE].decode("utf-8", errors="replace")
            return (
                None,
                shown,
                (
                    FieldError(
                        field="$",
                        value=repr(raw[exc.start : exc.start + 8]),
                        reason=f"not UTF-8 (byte {exc.start}: {exc.reason})",
                    ),
                ),
            )
    else:
        text = raw
    text = text.lstrip("\ufeff")
    if len(text) > MAX_LINE:
        return (
            None,
            text[:MAX_LINE],
            (FieldError(field="$", value=text[:40], reason=f"longer than {MAX_LINE} characters"),),
        )
    try:
        return _DECODER.decode(text), text, ()
    except (ValueError, RecursionError) as exc:
        reason = (
            f"not valid JSON: {exc.msg} at column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else f"not valid JSON: {exc}"
        )
        return None, text, (FieldError(field="$", value=text[:40], reason=reason),)


def _event_id_of(value: object) -> str | None:
    if isinstance(value, Mapping):
        raw = value.get("id")
        if isinstance(raw, str) and 0 < len(raw) <= 200:
            return raw
    return None


def _services(app: App) -> EventServices:
    if app.events is None:
        raise StorageError("the event pipeline is not configured for this database")
    return app.events


def ingest_events(
    app: App,
    batch: Iterable[RawEvent],
    *,
    source: str = "api",
    first_line: int = 1,
    line_numbers: Sequence[int] | None = None,
) -> Result[IngestReport, AppError]:
    """Accept a batch: valid events into the inbox, invalid ones into failed events.

    One transaction for the whole batch. An event id already in the inbox (or twice in
    the batch) is counted as a duplicate and changes nothing.
    """
    with fewer_collections():
        return _ingest(app, batch, source=source, first_line=first_line, line_numbers=line_numbers)


def _ingest(
    app: App,
    batch: Iterable[RawEvent],
    *,
    source: str,
    first_line: int,
    line_numbers: Sequence[int] | None,
) -> Result[IngestReport, AppError]:
    now = app.clock.now()
    region = app.settings.default_region
    accepted: dict[str, AcceptedEvent] = {}
    duplicates = 0
    rejected: list[tuple[Rejected, FailedEvent]] = []
    for index, raw in enumerate(batch):
        # a mapping is parsed as is; its JSON text is only wanted when it is rejected
        value: object
        text: str | None
        errors: tuple[FieldError, ...]
        if type(raw) is dict or isinstance(raw, Mapping):
            value, text, errors = raw, None, ()
        else:
            value, text, errors = decode_raw(raw)
        if not errors:
            event = accept_fast(value, region) or _accept_full(value, region)
            if not isinstance(event, AcceptedEvent):
                errors = event
            elif event.event_id in accepted:
                duplicates += 1
                continue
            else:
                accepted[event.event_id] = event
                continue
        line = line_numbers[index] if line_numbers is not None else first_line + index
        rejected.append(_rejected(app, raw, value, text, errors, source=source, line=line, at=now))

    def work(uow: EventUnitOfWork) -> IngestReport:
        added = uow.inbox.accept_many(list(accepted.values()), at=now)
        uow.failed_events.add_many([failed for _, failed in rejected])
        return IngestReport(
            accepted=added,
            duplicates=duplicates + len(accepted) - added,
            rejected=tuple(r for r, _ in rejected),
        )

    result = _transact(app, work)
    if isinstance(result, Success):
        for r, _ in rejected:
            log_step(
                _log, "rejected", r.event_id, line=r.line, reason="; ".join(map(str, r.errors))
            )
        log_step(_log, "accepted", None, count=result.unwrap().accepted)
    return result


def _accept_full(value: object, region: str) -> AcceptedEvent | tuple[FieldError, ...]:
    """The full validator's answer: the event to store, or every error found."""
    parsed = parse_interaction(value, region=region)
    if isinstance(parsed, Failure):
        errors: tuple[FieldError, ...] = parsed.failure()
        return errors
    interaction = parsed.unwrap()
    return AcceptedEvent(
        interaction.event_id,
        interaction.type.value,
        interaction.to_json(),
        interaction.occurred_at,
    )


def _rejected(
    app: App,
    raw: RawEvent,
    value: object,
    text: str | None,
    errors: tuple[FieldError, ...],
    *,
    source: str,
    line: int,
    at: datetime,
) -> tuple[Rejected, FailedEvent]:
    """An input that was not accepted, as reported and as kept in failed events."""
    if text is None:
        _, text, unreadable = decode_raw(raw)
        errors = unreadable or errors
    failed = FailedEvent(
        id=app.ids.new(),
        raw=text,
        errors=errors,
        event_id=_event_id_of(value),
        source=source,
        line=line,
        received_at=at,
        updated_at=at,
    )
    return Rejected(line=line, event_id=failed.event_id, errors=errors, failed_id=failed.id), failed


def _transact(app: App, work: Any) -> Result[Any, AppError]:
    """Run ``work`` in one pipeline unit of work; storage exceptions become values."""
    try:
        services = _services(app)
        with services.uow() as uow:
            value = work(uow)
            if isinstance(value, Failure):
                return value
            uow.commit()
            return value if isinstance(value, Success) else Success(value)
    except ConcurrentModification as exc:
        return Failure(Conflict(detail=str(exc)))
    except StorageError as exc:
        return Failure(StorageFailure(detail=str(exc)))


# --- processing ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WorkReport:
    """What one run of the worker did."""

    claimed: int = 0
    done: int = 0
    review: int = 0
    retried: int = 0
    dead: int = 0
    failed: int = 0
    skipped: int = 0
    #: customers whose health was reassessed after the batches that touched them
    health_reassessed: int = 0

    def __add__(self, other: WorkReport) -> WorkReport:
        return WorkReport(**{f: getattr(self, f) + getattr(other, f) for f in _REPORT_FIELDS})


_REPORT_FIELDS = tuple(f.name for f in attrs.fields(WorkReport))


def process_inbox(
    app: App,
    *,
    batch: int = 10_000,
    worker: str = "worker",
    once: bool = False,
    max_batches: int | None = None,
    wait: bool = False,
    pause: Callable[[float], None] = time.sleep,
) -> Result[WorkReport, AppError]:
    """Claim due entries and apply them, batch after batch, until none is due (or ``once``).

    ``wait``: when nothing is due but other workers hold leased entries, wait (``pause``,
    a fraction of a lease at a time) until they are done or their leases run out (a dead
    worker), and apply what became due.
    """
    try:
        services = _services(app)
    except StorageError as exc:
        return Failure(StorageFailure(detail=str(exc)))
    total = WorkReport()
    with fewer_collections(PIPELINE_THRESHOLD):
        while True:
            result = _work(
                app, services, batch=batch, worker=worker, once=once, max_batches=max_batches
            )
            if not isinstance(result, Success):
                return result
            total += result.unwrap()
            if not wait or once:
                return Success(total)
            leased = live_leases(app)
            if not isinstance(leased, Success):
                return Failure(leased.failure())
            if not leased.unwrap():
                return Success(total)
            step = services.settings.retry.lease.total_seconds() / 6
            pause(min(1.0, step))


def live_leases(app: App) -> Result[Sequence[Lease], AppError]:
    """The entries workers hold under a live lease, by worker (with the latest expiry)."""
    now = app.clock.now()
    return _transact(app, lambda uow: list(uow.inbox.leases(now=now)))


class _Heartbeat:
    """Renews a claim's lease every third of a lease while its batch is applied, from a
    thread of its own and in transactions of its own; stops when the claim holds
    nothing any more. A worker killed with ``kill -9`` stops renewing, so its entries
    are due again within one lease."""

    def __init__(self, app: App, services: EventServices, token: UUID | None) -> None:
        self._app, self._services, self._token = app, services, token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crmcore-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        if self._token is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        token = self._token
        assert token is not None
        lease = self._services.settings.retry.lease
        while not self._stop.wait(lease.total_seconds() / 3):
            try:
                with self._services.uow() as uow:
                    held = uow.inbox.renew(token, until=self._app.clock.now() + lease)
                    uow.commit()
            except Exception as exc:  # the next beat tries again; the lease is the limit
                log_step(_log, "heartbeat-failed", None, error=f"{type(exc).__name__}: {exc}")
                continue
            log_step(_log, "heartbeat", None, token=str(token), held=held)
            if not held:
                return


def _work(
    app: App,
    services: EventServices,
    *,
    batch: int,
    worker: str,
    once: bool,
    max_batches: int | None,
) -> Result[WorkReport, AppError]:
    total = WorkReport()
    batches = 0
    cache = ContactCache()  # what this run committed, reused while the versions hold
    conflicts = 0
    while True:
        report = None
        if services.single_writer:
            report = _take_and_apply(app, services, worker=worker, limit=batch, cache=cache)
            if report is _TAKEN_BY_ANOTHER and conflicts < _TAKE_CONFLICTS:
                conflicts += 1
                continue  # another worker committed these entries first: take the next ones
            conflicts = 0
            if report is _TAKEN_BY_ANOTHER:
                report = None
        if report is None:  # several writers, or the one-transaction batch failed
            try:
                claimed = _claim(app, services, worker=worker, limit=batch)
            except ConcurrentModification:
                continue  # another worker claimed some of them first; look again
            except StorageError as exc:
                return Failure(StorageFailure(detail=str(exc)))
            token = claimed[0].claim_token if claimed and not services.single_writer else None
            with _Heartbeat(app, services, token):
                report = WorkReport(claimed=len(claimed)) + _process_batch(
                    app, services, claimed, cache=cache
                )
        total += report
        batches += 1
        last = once or not report.claimed or (max_batches is not None and batches >= max_batches)
        if last or batches % HEALTH_EVERY == 0:
            settled = _reassess_marked(app)
            if isinstance(settled, Failure):
                return settled
            total += settled.unwrap()
        if last:
            return Success(total)


def _reassess_marked(app: App) -> Result[WorkReport, AppError]:
    """Reassess the health of the customers the batches marked (ADR 0030). A conflict
    with another worker leaves them marked for the next run."""
    settled = reassess_due(app)
    if isinstance(settled, Failure):
        failure = settled.failure()
        return Success(WorkReport()) if isinstance(failure, Conflict) else Failure(failure)
    return Success(WorkReport(health_reassessed=settled.unwrap()))


def _claim(app: App, services: EventServices, *, worker: str, limit: int) -> list[InboxEntry]:
    now = app.clock.now()
    token = app.ids.new()  # one claim token for the batch: it is marked done at once
    with services.uow() as uow:
        claimed = uow.inbox.claim_due(
            now=now, limit=limit, worker=worker, token=token, lease=services.settings.retry.lease
        )
        uow.commit()
    _log_claimed(claimed, worker)
    return list(claimed)


def _log_claimed(claimed: Sequence[InboxEntry], worker: str) -> None:
    if _log.isEnabledFor(logging.INFO):
        for entry in claimed:
            log_step(_log, "claimed", entry.event_id, worker=worker, attempt=entry.attempts)


#: Batches after which the customers they marked are reassessed, under steady load (and
#: always when the inbox is drained).
HEALTH_EVERY = 10
#: What :func:`_take_and_apply` returns when another worker committed first.
_TAKEN_BY_ANOTHER = WorkReport()
#: Takes in a row lost to other workers before the batch is claimed the classic way.
_TAKE_CONFLICTS = 20


def _take_and_apply(
    app: App, services: EventServices, *, worker: str, limit: int, cache: ContactCache
) -> WorkReport | None:
    """One writer at a time: take the due entries, apply them and mark them done in one
    transaction, so there is no claim to write and commit first. A crash or any failure
    rolls everything back and leaves them due; ``None`` then, and the caller claims and
    processes them the classic way (one by one, with retries, if the batch fails again).
    """
    now = app.clock.now()
    taken: Sequence[InboxEntry] = ()
    try:
        with services.uow() as uow:
            taken = uow.inbox.take_due(
                now=now,
                limit=limit,
                worker=worker,
                token=app.ids.new(),
                lease=services.settings.retry.lease,
            )
            if not taken:
                return WorkReport()
            applied = _apply_entries(app, services, uow, taken, now=now, cache=cache)
            uow.inbox.mark_taken_done(applied.done, at=now)
            uow.commit()
            applied.batch.committed()
    except (ConcurrentModification, DuplicateKey) as exc:
        # Another worker took the same entries (or changed their contacts) and committed
        # first: nothing of this batch stands; taking again reads the next due entries,
        # so batches still commit in time order, as one worker's do.
        log_step(_log, "batch-taken-by-another", None, size=len(taken), error=str(exc))
        return _TAKEN_BY_ANOTHER
    except Exception as exc:
        log_step(_log, "batch-fallback", None, size=len(taken), error=type(exc).__name__)
        return None
    _log_claimed(taken, worker)
    return WorkReport(claimed=len(taken)) + applied.logged()


@attrs.define
class _BatchOutcome:
    """What applying a batch of entries did, before it commits."""

    batch: Batch
    done: list[InboxEntry] = attrs.Factory(list)
    applied: list[tuple[str, ContactId]] = attrs.Factory(list)
    parked: list[tuple[str, ReviewItem]] = attrs.Factory(list)
    rejected: list[tuple[str, str]] = attrs.Factory(list)

    def logged(self) -> WorkReport:
        """Log every event's outcome (after the commit) and count them."""
        if _log.isEnabledFor(logging.INFO):
            for event_id, reason in self.rejected:
                log_step(_log, "rejected", event_id, reason=reason)
            for event_id, item in self.parked:
                log_step(_log, "review", event_id, reason=item.reason, item=item.id)
            for event_id, contact_id in self.applied:
                log_step(_log, "applied", event_id, contact_id=contact_id)
        return WorkReport(
            done=len(self.applied), review=len(self.parked), failed=len(self.rejected)
        )


def _apply_entries(
    app: App,
    services: EventServices,
    uow: EventUnitOfWork,
    entries: Sequence[InboxEntry],
    *,
    now: datetime,
    cache: ContactCache | None,
) -> _BatchOutcome:
    """Apply claimed (or taken) entries in ``uow`` and flush their writes; the entries
    to mark done are left to the caller."""
    region = app.settings.default_region
    valid: list[tuple[InboxEntry, Interaction]] = []
    rejected: list[tuple[str, str]] = []
    for entry in entries:
        # validated entries hold canonical JSON, read back directly (else the full parse)
        interaction = canonical_interaction(entry.payload) if entry.validated else None
        if interaction is None:
            parsed = parse_interaction(entry.payload, region=region, trusted=entry.validated)
            if isinstance(parsed, Failure):
                reason = _reject(app, uow, entry, parsed.failure(), now=now)
                rejected.append((entry.event_id, reason))
                continue
            interaction = parsed.unwrap()
        valid.append((entry, interaction))
    batch = Batch(app, services, uow, [i for _, i in valid], now=now, cache=cache)
    out = _BatchOutcome(batch, rejected=rejected)
    waiting: list[InboxEntry] = []
    for entry, interaction in valid:
        outcome = apply_in_batch(batch, interaction)
        if isinstance(outcome, NeedsReview):
            waiting.append(entry.parked(reason=outcome.item.detail, at=now))
            out.parked.append((entry.event_id, outcome.item))
            continue
        out.done.append(entry)
        out.applied.append((entry.event_id, outcome.contact_id))
    batch.flush()
    uow.inbox.save_many(waiting)
    return out


def _process_batch(
    app: App,
    services: EventServices,
    claimed: Sequence[InboxEntry],
    *,
    cache: ContactCache | None = None,
) -> WorkReport:
    """Apply a claimed batch in one unit of work and mark it done in one statement.

    Any failure (a downstream port down, a conflict, a bug) rolls the whole batch back
    and each half is processed the same way, in order (down to single events, which
    retry with a backoff): one bad event among ``n`` costs about ``log2(n)`` failed
    transactions, not ``n`` one-event ones, and delays only itself.
    """
    if not claimed:
        return WorkReport()
    if len(claimed) == 1:
        return _process_one(app, services, claimed[0], cache=cache)
    now = app.clock.now()
    token = claimed[0].claim_token
    try:
        with services.uow() as uow:
            # The claim read the entries; ``mark_done`` and ``save_many`` check that this
            # claim still holds every one of them (else the batch rolls back).
            applied = _apply_entries(app, services, uow, claimed, now=now, cache=cache)
            if token is not None:
                uow.inbox.mark_done([e.event_id for e in applied.done], token=token, at=now)
            uow.commit()
            applied.batch.committed()
    except Exception as exc:
        log_step(_log, "batch-fallback", None, size=len(claimed), error=type(exc).__name__)
        half = len(claimed) // 2
        first = _process_batch(app, services, claimed[:half], cache=cache)
        return first + _process_batch(app, services, claimed[half:], cache=cache)
    return applied.logged()


def _reject(
    app: App,
    uow: EventUnitOfWork,
    entry: InboxEntry,
    errors: tuple[FieldError, ...],
    *,
    now: datetime,
) -> str:
    """Keep an inbox entry whose content is invalid as a failed event; returns why."""
    uow.failed_events.add(
        FailedEvent(
            id=app.ids.new(),
            raw=json.dumps(entry.payload, ensure_ascii=False, default=str),
            errors=errors,
            event_id=entry.event_id,
            source="inbox",
            received_at=entry.received_at,
            updated_at=now,
        )
    )
    reason = "; ".join(map(str, errors))
    uow.inbox.save(entry.rejected(reason=reason, at=now))
    return reason


#: How often one event is redone at once when another worker's commit conflicts with it
#: (a contact it creates or changes); then it waits for a backoff like any failure.
CONFLICT_RETRIES = 3


def _process_one(
    app: App, services: EventServices, entry: InboxEntry, *, cache: ContactCache | None = None
) -> WorkReport:
    """Apply one claimed event in its own unit of work. A conflict with another worker's
    commit (a contact created or changed meanwhile) is redone at once, reading what that
    worker stored; an entry no longer held by this claim is skipped."""
    error = ""
    for _ in range(CONFLICT_RETRIES):
        try:
            return _apply_one(app, services, entry, cache=cache)
        except (ConcurrentModification, DuplicateKey) as exc:
            error = f"{type(exc).__name__}: {exc}"
        except (DownstreamUnavailable, StorageError, Exception) as exc:
            # Nothing of this attempt was committed; the entry goes back with a backoff.
            return _retry_later(app, services, entry, f"{type(exc).__name__}: {exc}")
    return _retry_later(app, services, entry, error)


def _apply_one(
    app: App, services: EventServices, entry: InboxEntry, *, cache: ContactCache | None
) -> WorkReport:
    now = app.clock.now()
    with services.uow() as uow:
        current = uow.inbox.get(entry.event_id)
        if (
            current is None
            or current.status is not InboxStatus.PROCESSING
            or current.claim_token != entry.claim_token
        ):
            log_step(_log, "skipped", entry.event_id, reason="claimed by someone else")
            return WorkReport(skipped=1)
        parsed = parse_interaction(
            current.payload, region=app.settings.default_region, trusted=current.validated
        )
        if isinstance(parsed, Failure):
            reason = _reject(app, uow, current, parsed.failure(), now=now)
            uow.commit()
            log_step(_log, "rejected", entry.event_id, reason=reason)
            return WorkReport(failed=1)
        interaction = parsed.unwrap()
        batch = Batch(app, services, uow, [interaction], now=now, cache=cache)
        outcome = apply_in_batch(batch, interaction)
        batch.flush()
        if isinstance(outcome, NeedsReview):
            uow.inbox.save(current.parked(reason=outcome.item.detail, at=now))
            uow.commit()
            batch.committed()
            log_step(
                _log, "review", entry.event_id, reason=outcome.item.reason, item=outcome.item.id
            )
            return WorkReport(review=1)
        uow.inbox.save(current.done(at=now))
        uow.commit()
        batch.committed()
        log_step(_log, "applied", entry.event_id, contact_id=outcome.contact_id)
        return WorkReport(done=1)


def _retry_later(app: App, services: EventServices, entry: InboxEntry, error: str) -> WorkReport:
    now = app.clock.now()
    try:
        with services.uow() as uow:
            current = uow.inbox.get(entry.event_id)
            if current is None or current.claim_token != entry.claim_token:
                return WorkReport(skipped=1)
            later = current.retry_later(
                error=error, now=now, policy=services.settings.retry, jitter=services.jitter()
            )
            uow.inbox.save(later)
            uow.commit()
    except StorageError as exc:
        # The lease expires and another claim retries it: still not lost.
        log_step(_log, "retry-not-recorded", entry.event_id, error=str(exc))
        return WorkReport(retried=1)
    if later.status is InboxStatus.DEAD:
        log_step(_log, "dead-lettered", entry.event_id, attempts=later.attempts, error=error)
        return WorkReport(dead=1)
    log_step(
        _log,
        "retry-scheduled",
        entry.event_id,
        attempts=later.attempts,
        next_attempt_at=later.next_attempt_at.isoformat(),
        error=error,
    )
    return WorkReport(retried=1)


# --- failed events, dead letters, status --------------------------------------------


@attrs.frozen(kw_only=True)
class RetryOutcome:
    """A failed event retried: accepted into the inbox, or still invalid (with why)."""

    failed_id: UUID
    accepted: bool
    errors: tuple[FieldError, ...] = ()


def list_failed(
    app: App, *, status: FailedStatus | None = FailedStatus.OPEN, limit: int = 100
) -> Result[Sequence[FailedEvent], AppError]:
    """Failed events, oldest first."""
    return _transact(app, lambda uow: uow.failed_events.list(status=status, limit=limit))


def retry_failed(
    app: App, failed_id: UUID, *, fixed: RawEvent | None = None
) -> Result[RetryOutcome, AppError]:
    """Validate a failed event again (as stored, or the operator's ``fixed`` version).

    Valid: it enters the inbox and the failed event is marked retried. Still invalid:
    the errors are updated and it stays open.
    """
    now = app.clock.now()

    def work(uow: EventUnitOfWork) -> Result[RetryOutcome, AppError]:
        failed = uow.failed_events.get(failed_id)
        if failed is None:
            return Failure(NotFound(kind="failed event", key=str(failed_id)))
        if FAILED_EVENTS.is_terminal(failed.status):  # the lifecycle's rule, said plainly
            return Failure(
                RuleViolation(rule="failed event", detail=f"already {failed.status.value}")
            )
        value, text, errors = decode_raw(fixed if fixed is not None else failed.raw)
        if not errors:
            event = _accept_full(value, app.settings.default_region)
            if isinstance(event, AcceptedEvent):
                uow.inbox.accept_many([event], at=now)
                uow.failed_events.save(failed.retried(text, at=now).unwrap())
                log_step(_log, "retried-accepted", event.event_id, failed_id=failed_id)
                return Success(RetryOutcome(failed_id=failed_id, accepted=True))
            errors = event
        uow.failed_events.save(failed.still_failing(text, tuple(errors), at=now).unwrap())
        return Success(RetryOutcome(failed_id=failed_id, accepted=False, errors=errors))

    return _transact(app, work)


def discard_failed(app: App, failed_id: UUID) -> Result[FailedEvent, AppError]:
    """Give up on a failed event on purpose (it stays listed as discarded)."""
    now = app.clock.now()

    def work(uow: EventUnitOfWork) -> Result[FailedEvent, AppError]:
        failed = uow.failed_events.get(failed_id)
        if failed is None:
            return Failure(NotFound(kind="failed event", key=str(failed_id)))
        if FAILED_EVENTS.is_terminal(failed.status):  # the lifecycle's rule, said plainly
            return Failure(
                RuleViolation(rule="failed event", detail=f"already {failed.status.value}")
            )
        gone = failed.discarded(at=now).unwrap()
        uow.failed_events.save(gone)
        return Success(gone)

    return _transact(app, work)


def revive_dead(app: App, event_id: str) -> Result[InboxEntry, AppError]:
    """Give a dead-lettered event a fresh set of attempts."""
    now = app.clock.now()

    def work(uow: EventUnitOfWork) -> Result[InboxEntry, AppError]:
        entry = uow.inbox.get(event_id)
        if entry is None:
            return Failure(NotFound(kind="inbox event", key=event_id))
        if entry.status is not InboxStatus.DEAD:
            return Failure(
                IllegalTransition(
                    machine="inbox entry", state=entry.status.value, move="revive", allowed=()
                )
            )
        revived = entry.revived(now=now)
        uow.inbox.save(revived)
        return Success(revived)

    return _transact(app, work)


@attrs.frozen(kw_only=True)
class PipelineStatus:
    """Counts per inbox status, the dead letters, open failed events and review items, and
    the customers marked for a health reassessment."""

    inbox: Mapping[str, int]
    dead: tuple[InboxEntry, ...]
    failed_open: int
    review_open: int
    #: entries held by workers under a live lease, by worker
    leases: tuple[Lease, ...] = ()
    #: customers touched by applied events whose health is still to be reassessed
    health_due: int = 0


def pipeline_status(app: App, *, limit: int = 20) -> Result[PipelineStatus, AppError]:
    """What `crm events status` shows."""
    now = app.clock.now()

    def work(uow: EventUnitOfWork) -> PipelineStatus:
        counts = uow.inbox.counts()
        return PipelineStatus(
            inbox={s.value: counts.get(s, 0) for s in InboxStatus},
            dead=tuple(uow.inbox.list(status=InboxStatus.DEAD, limit=limit)),
            failed_open=len(uow.failed_events.list(limit=1_000_000)),
            review_open=len(uow.review_queue.list(limit=1_000_000)),
            leases=tuple(uow.inbox.leases(now=now)),
            health_due=uow.health.due_count(),
        )

    return _transact(app, work)


# --- the review queue ---------------------------------------------------------------


def list_reviews(
    app: App,
    *,
    reason: ReviewReason | None = None,
    status: ReviewStatus | None = ReviewStatus.OPEN,
    limit: int = 100,
) -> Result[Sequence[ReviewItem], AppError]:
    """Review items, oldest first."""
    return _transact(
        app, lambda uow: uow.review_queue.list(status=status, reason=reason, limit=limit)
    )


@attrs.frozen(kw_only=True)
class Candidate:
    """A contact a review item proposes, as a reviewer recognises them."""

    id: ContactId
    name: str
    email: str | None
    phone: str | None


@attrs.frozen(kw_only=True)
class ReviewView:
    """A review item with the event it holds and its candidates by name."""

    item: ReviewItem
    event: Mapping[str, Any] | None
    candidates: tuple[Candidate, ...] = ()


def show_review(app: App, item_id: UUID) -> Result[ReviewView, AppError]:
    """One review item and its event's payload."""

    def work(uow: EventUnitOfWork) -> Result[ReviewView, AppError]:
        item = uow.review_queue.get(item_id)
        if item is None:
            return Failure(NotFound(kind="review item", key=str(item_id)))
        entry = uow.inbox.get(item.event_id)
        found = {c.id: c for c in uow.contacts.get_many(list(item.candidates))}
        candidates = tuple(
            Candidate(
                id=c.id,
                name=c.name.full,
                email=c.email.value if c.email else None,
                phone=c.phone.e164 if c.phone else None,
            )
            for c in (found.get(ContactId(k)) for k in item.candidates)
            if c is not None
        )
        return Success(
            ReviewView(item=item, event=entry.payload if entry else None, candidates=candidates)
        )

    return _transact(app, work)


@attrs.frozen(kw_only=True)
class ReviewOutcome:
    """The resolved item, and whether applying it needed another review."""

    item: ReviewItem
    applied: bool
    follow_up: ReviewItem | None = None


def resolve_review(
    app: App,
    item_id: UUID,
    *,
    label: SentimentLabel | None = None,
    contact_id: ContactId | None = None,
    discard: bool = False,
    by: str | None = None,
    note: str = "",
) -> Result[ReviewOutcome, AppError]:
    """Resolve an item and apply its event through the normal pipeline with the decision."""
    try:
        resolution = Resolution(
            label=label, contact_id=contact_id, discard=discard, by=by, note=note
        )
    except ValueError as exc:
        return Failure(RuleViolation(rule="review resolution", detail=str(exc)))
    now = app.clock.now()
    try:
        services = _services(app)
    except StorageError as exc:
        return Failure(StorageFailure(detail=str(exc)))

    def work(uow: EventUnitOfWork) -> Result[ReviewOutcome, AppError]:
        item = uow.review_queue.get(item_id)
        if item is None:
            return Failure(NotFound(kind="review item", key=str(item_id)))
        changed = item.resolve(resolution, at=now)
        if isinstance(changed, Failure):
            return Failure(changed.failure())
        resolved = changed.unwrap()
        uow.review_queue.save(resolved.entity)
        uow.record(*resolved.events)
        entry = uow.inbox.get(item.event_id)
        if entry is None or entry.status is not InboxStatus.REVIEW:
            return Success(ReviewOutcome(item=resolved.entity, applied=False))
        if discard:
            uow.inbox.save(entry.discarded(reason=f"discarded in review {item.id}", at=now))
            return Success(ReviewOutcome(item=resolved.entity, applied=False))
        parsed = parse_interaction(
            entry.payload, region=app.settings.default_region, trusted=entry.validated
        )
        if isinstance(parsed, Failure):
            return Failure(
                RuleViolation(rule="review", detail="; ".join(map(str, parsed.failure())))
            )
        if contact_id is not None and uow.contacts.get(contact_id) is None:
            return Failure(NotFound(kind="contact", key=str(contact_id)))
        outcome = apply_interaction(
            app, services, uow, parsed.unwrap(), now=now, label=label, contact_id=contact_id
        )
        if isinstance(outcome, NeedsReview):
            uow.inbox.save(attrs.evolve(entry, last_error=outcome.item.detail))
            return Success(
                ReviewOutcome(item=resolved.entity, applied=False, follow_up=outcome.item)
            )
        uow.inbox.save(entry.done(at=now))
        return Success(ReviewOutcome(item=resolved.entity, applied=True))

    try:
        result = _transact(app, work)
    except DownstreamUnavailable as exc:
        return Failure(RuleViolation(rule="downstream unavailable", detail=str(exc)))
    if isinstance(result, Success):
        log_step(_log, "review-resolved", result.unwrap().item.event_id, item=item_id)
        settled = _reassess_marked(app)
        if isinstance(settled, Failure):
            return Failure(settled.failure())
    return result

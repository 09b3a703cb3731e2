"""Importing transactions: a CSV file's purchases through the event pipeline's apply step.

CSV columns: ``customer_id,occurred_at,amount`` and optional ``transaction_id,currency,
channel,product``. A bad value is reported with its line number and field; the good rows
are imported. Each row becomes a purchase interaction of the customer whose user id is
``customer_id`` and is applied exactly as an ingested purchase event would be (one rule
for what a purchase changes: :mod:`crmcore.domain.reactions`); the message bus then
stores the transaction and moves the loyalty board, the CLV and health. An import of
history queues no actions (no welcome e-mails for last year's customers).

The file is read as a stream, a batch of rows per transaction, so memory stays flat
whatever its size. Re-importing the same file adds nothing: a row's purchase is keyed by
``transaction_id`` or, when it is absent, by a hash of its content; a crash leaves the
committed batches, and the re-run skips them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App
from crmcore.app.errors import AppError, Conflict, StorageFailure
from crmcore.app.events.apply import Applied, Batch, apply_in_batch
from crmcore.app.importing.csvio import (
    CsvRecord,
    MalformedRecord,
    UnreadableFile,
    open_text,
    parse_csv,
    read_records,
)
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.interactions import Customer, Interaction, InteractionType, Purchase
from crmcore.domain.money import Money
from crmcore.domain.transaction import content_key
from crmcore.ports.errors import ConcurrentModification, StorageError
from crmcore.ports.event_processing import EventUnitOfWork
from crmcore.ports.uow import UnitOfWork

REQUIRED_COLUMNS = ("customer_id", "occurred_at", "amount")
OPTIONAL_COLUMNS = ("transaction_id", "currency", "channel", "product")
BATCH = 5000
#: ``progress(rows_read)`` after each batch is stored.
Progress = Callable[[int], None]


@attrs.frozen(kw_only=True)
class TransactionRow:
    """One validated input row; ``line`` is where it came from (1 = the CSV header)."""

    customer_id: str
    occurred_at: datetime
    amount: Money
    transaction_id: str | None = None
    channel: str | None = None
    product: str | None = None
    line: int = 0

    @property
    def external_id(self) -> str:
        """The idempotency key: the source id, or the content hash."""
        if self.transaction_id:
            return self.transaction_id
        return content_key(self.customer_id, self.occurred_at, self.amount)


@attrs.frozen(kw_only=True)
class RowError:
    """A rejected input row: line, field, value and why."""

    line: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason} (got {self.value!r})"


@attrs.frozen(kw_only=True)
class ImportSummary:
    """What an import did."""

    imported: int = 0
    duplicates: int = 0
    contacts_created: int = 0
    errors: tuple[RowError, ...] = ()


def parse_instant(raw: str, *, field: str = "occurred_at") -> Result[datetime, FieldError]:
    """An ISO date (midnight UTC) or datetime (naive means UTC), converted to UTC."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return Success(datetime(day.year, day.month, day.day, tzinfo=UTC))
        at = datetime.fromisoformat(text)
        return Success(at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC))
    except ValueError:
        return Failure(FieldError(field=field, value=raw, reason="not an ISO date or datetime"))
    except OverflowError:
        return Failure(FieldError(field=field, value=raw, reason="out of range in UTC"))


def parse_rows(
    records: Iterable[tuple[int, dict[str, str]]], *, default_currency: str
) -> tuple[list[TransactionRow], list[RowError]]:
    """Validate ``(line, {column: value})`` records; every bad field is reported."""
    rows: list[TransactionRow] = []
    errors: list[RowError] = []
    for line, record in records:
        problems: list[FieldError] = []
        customer = (record.get("customer_id") or "").strip()
        if not customer:
            problems.append(FieldError(field="customer_id", value="", reason="is required"))
        at_result = parse_instant(record.get("occurred_at") or "")
        currency = (record.get("currency") or "").strip() or default_currency
        money_result = Money.parse(record.get("amount") or "", currency)
        at = at_result.value_or(None)
        money = money_result.value_or(None)
        for result in (at_result, money_result):
            if isinstance(result, Failure):
                problems.append(result.failure())
        if problems or at is None or money is None:
            errors.extend(
                RowError(line=line, field=p.field, value=p.value, reason=p.reason) for p in problems
            )
            continue
        rows.append(
            TransactionRow(
                customer_id=customer,
                occurred_at=at,
                amount=money,
                transaction_id=(record.get("transaction_id") or "").strip() or None,
                channel=(record.get("channel") or "").strip() or None,
                product=(record.get("product") or "").strip() or None,
                line=line,
            )
        )
    return rows, errors


def _missing_columns(header: Sequence[str]) -> InvalidInput | None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if not missing:
        return None
    return InvalidInput(
        errors=tuple(
            FieldError(field=c, value=",".join(header), reason="required column missing")
            for c in missing
        )
    )


def _unreadable(exc: UnreadableFile, path: object = "") -> Failure[InvalidInput]:
    return Failure(
        InvalidInput(errors=(FieldError(field="file", value=str(path), reason=str(exc)),))
    )


def _malformed(m: MalformedRecord) -> RowError:
    return RowError(line=m.line, field="row", value=m.value, reason=m.reason)


def read_transactions_csv(
    text: str, *, default_currency: str
) -> Result[tuple[list[TransactionRow], list[RowError]], InvalidInput]:
    """Parse CSV text; a missing required column fails the whole file, a record the csv
    module cannot read (a cell over ``MAX_CELL`` characters) is a rejected row."""
    try:
        file = parse_csv(text, delimiter=",")
    except UnreadableFile as exc:
        return _unreadable(exc)
    header = list(file.header)
    missing = _missing_columns(header)
    if missing is not None:
        return Failure(missing)
    records = ((r.line, dict(zip(header, r.cells, strict=False))) for r in file.records)
    rows, errors = parse_rows(records, default_currency=default_currency)
    errors.extend(map(_malformed, file.malformed))
    errors.sort(key=lambda e: e.line)
    return Success((rows, errors))


def purchase_of(row: TransactionRow, key: str | None = None) -> Interaction:
    """The purchase interaction a row stands for; its event id is the row's idempotency
    key (``key``, when the caller computed it already)."""
    at = row.occurred_at
    return Interaction(
        event_id=key if key is not None else row.external_id,
        type=InteractionType.PURCHASE,
        occurred_at=at,
        utc_offset=at.utcoffset() or timedelta(0),
        customer=Customer(user_id=row.customer_id),
        details=Purchase(amount=row.amount, channel=row.channel, product=row.product),
        source="import",
    )


def apply_purchases(app: App, uow: UnitOfWork, rows: Sequence[TransactionRow]) -> ImportSummary:
    """Inside an open unit of work (with the pipeline's stores): apply the rows'
    purchases as one batch; the message bus reacts before the caller commits."""
    services = app.events
    if services is None or not hasattr(uow, "facts"):
        raise TypeError("importing purchases needs the event pipeline's unit of work")
    # rows whose purchase is stored already (a re-run) cost one indexed lookup, not a load
    keys = [row.external_id for row in rows]  # a content hash when the row has no id
    known = uow.transactions.existing_external_ids(keys)
    interactions = [
        purchase_of(row, key) for row, key in zip(rows, keys, strict=True) if key not in known
    ]
    batch = Batch(
        app, services, cast(EventUnitOfWork, uow), interactions, now=app.clock.now(), actions=False
    )
    imported = 0
    for interaction in interactions:
        outcome = apply_in_batch(batch, interaction)
        imported += isinstance(outcome, Applied) and outcome.new
    batch.flush()
    return ImportSummary(
        imported=imported, duplicates=len(rows) - imported, contacts_created=batch.created
    )


def import_transactions(
    app: App,
    rows: Iterable[TransactionRow],
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> Result[ImportSummary, AppError]:
    """Apply the rows' purchases, ``batch`` rows per transaction; duplicates are skipped."""
    services = app.events
    if services is None:
        raise TypeError("importing purchases needs an application with the event pipeline")
    total = ImportSummary()
    read = 0
    pending = iter(rows)
    chunks = iter(lambda: list(itertools.islice(pending, batch)), [])
    for chunk in chunks:
        try:
            with services.uow() as uow:
                done = apply_purchases(app, uow, chunk)
                uow.commit()
        except ConcurrentModification as exc:
            return Failure(Conflict(detail=str(exc)))
        except StorageError as exc:
            return Failure(StorageFailure(detail=str(exc)))
        total = ImportSummary(
            imported=total.imported + done.imported,
            duplicates=total.duplicates + done.duplicates,
            contacts_created=total.contacts_created + done.contacts_created,
        )
        read += len(chunk)
        if progress is not None:
            progress(read)
    return Success(total)


@attrs.define
class _Stream:
    """Valid rows of an open CSV file, as they are read; the rejected ones collect here."""

    header: list[str]
    default_currency: str
    errors: list[RowError] = attrs.field(factory=list)

    def rows(self, items: Iterable[CsvRecord | MalformedRecord | None]) -> Iterator[TransactionRow]:
        header, errors = self.header, self.errors
        for item in items:
            if item is None:
                continue
            if isinstance(item, MalformedRecord):
                errors.append(_malformed(item))
                continue
            record = dict(zip(header, item.cells, strict=False))
            good, bad = parse_rows([(item.line, record)], default_currency=self.default_currency)
            errors.extend(bad)
            yield from good


def import_transactions_file(
    app: App, path: Path, *, batch: int = BATCH, progress: Progress | None = None
) -> Result[ImportSummary, AppError]:
    """Read a CSV file as a stream (encoding and delimiter detected) and import its good
    rows; the summary lists the rejected ones. ``progress(rows_read)`` is called after
    each stored batch."""
    try:
        with open_text(path) as (text, _, sep):
            items = read_records(text, sep)
            first = next((i for i in items if i is not None), None)
            if not isinstance(first, CsvRecord):
                reason = first.reason if first is not None else "the file has no header row"
                return _unreadable(UnreadableFile(reason), path)
            header = [c.strip() for c in first.cells]
            missing = _missing_columns(header)
            if missing is not None:
                return Failure(missing)
            stream = _Stream(header=header, default_currency=app.settings.default_currency)
            result = import_transactions(app, stream.rows(items), batch=batch, progress=progress)
    except UnreadableFile as exc:
        return _unreadable(exc, path)
    return result.map(lambda s: attrs.evolve(s, errors=tuple(stream.errors)))

"""Importing operators' CSV files (issue 5): mapping, validation, batching, upsert.

The pipeline: read and decode the file (:mod:`crmcore.app.importing.csvio`), map its columns to
fields, validate every row (all field errors of a row at once; each distinct e-mail and
phone is validated once; large files on a pool of two processes), merge duplicate rows
of the file in order, then store batches through the bulk port
(``uow.contacts.upsert_many`` / ``uow.leads.upsert_many``; accounts by name, deals by
external id), one unit of work per batch.

Re-running a file changes nothing; a run killed midway and run again ends in the same
state as one clean run (every batch is an idempotent upsert).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict
from crmcore.app.importing.contacts import account_resolver, stream_contacts
from crmcore.app.importing.csvio import CsvFile, CsvRecord, UnreadableFile, read_csv, write_csv
from crmcore.app.importing.plan import (
    FIELDS,
    OWNED_COLUMNS,
    SYNONYMS,
    ColumnPlan,
    Defaults,
    Kind,
    normalise_header,
    parse_mapping,
    plan_columns,
)
from crmcore.app.importing.rows import (
    CHUNK_SIZE,
    PARALLEL_MIN_ROWS,
    WORKERS,
    Outcome,
    RejectedRow,
    ValidRow,
    known_region,
    validate_record,
    validate_stream,
)
from crmcore.app.importing.validation import Collector
from crmcore.app.sales.deals import deal_created, new_deal
from crmcore.domain.account import Account
from crmcore.domain.contact import NewContact
from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.ids import AccountId, ContactId, LeadId
from crmcore.domain.lead import Firmographics, Lead
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import CLOSED_STAGES, Deal, DealStage
from crmcore.ports.repositories import UpsertCounts
from crmcore.ports.uow import UnitOfWork

__all__ = [
    "BATCH_SIZE",
    "CHUNK_SIZE",
    "FIELDS",
    "OWNED_COLUMNS",
    "PARALLEL_MIN_ROWS",
    "SYNONYMS",
    "WORKERS",
    "BatchResult",
    "ColumnPlan",
    "Defaults",
    "ImportReport",
    "Kind",
    "Outcome",
    "Progress",
    "RejectedRow",
    "ValidRow",
    "import_csv",
    "import_file",
    "import_key",
    "merge_rows",
    "normalise_header",
    "parse_mapping",
    "plan_columns",
    "store_batch",
    "validate_record",
    "validate_records",
    "write_rejected",
]

#: Contacts files of this many rows or more are stored while they are validated
#: (:mod:`crmcore.app.importing.contacts`); smaller ones are validated first.
STREAM_MIN_ROWS = 20_000

#: Rows per unit of work. Large batches matter on SQLite: rows land in random places of
#: the e-mail and phone indexes, and a commit writes every index page it touched.
BATCH_SIZE = 100_000


# --------------------------------------------------------------------------- merging


def import_key(kind: Kind, row: ValidRow) -> str:
    """The identity an import upserts by: e-mail, user id, name or external id."""
    d = row.data
    if kind is Kind.CONTACTS:
        return f"user:{d['user_id']}" if d["user_id"] else f"email:{d['email']}"
    if kind is Kind.LEADS:
        return str(d["email"])
    if kind is Kind.ACCOUNTS:
        return str(d["name"]).casefold()
    return str(d["external_id"])


def merge_rows(first: ValidRow, later: ValidRow) -> ValidRow:
    """Two rows of the file with one key: the later row's non-empty values win."""
    data = {**first.data, **{k: v for k, v in later.data.items() if v is not None}}
    return ValidRow(line=first.line, data=data, extra={**first.extra, **later.extra})


# --------------------------------------------------------------------------- storing


@attrs.frozen(kw_only=True)
class BatchResult:
    """What storing one batch did."""

    counts: UpsertCounts
    rejected: tuple[RejectedRow, ...] = ()


def _store_people(
    app: App,
    kind: Kind,
    uow: UnitOfWork,
    rows: Sequence[ValidRow],
    cells: Mapping[int, tuple[str, ...]],
) -> BatchResult:
    now = app.clock.now()
    rejected: list[RejectedRow] = []
    if kind is Kind.LEADS:
        leads = [
            Lead(
                id=LeadId(app.ids.new()),
                email=Email(d["email"]),
                name=PersonName(*d["name"]),
                phone=Phone(d["phone"]) if d["phone"] else None,
                company=d["company"],
                job_title=d["job_title"],
                source=d["source"],
                source_detail=d["source_detail"],
                firmographics=Firmographics(
                    company_size=d["company_size"],
                    industry=d["industry"],
                    budget=d["budget"],
                    region=d["region"],
                ),
                metadata=dict(r.extra),
                created_at=now,
                updated_at=now,
            )
            for r in rows
            for d in (r.data,)
        ]
        return BatchResult(counts=uow.leads.upsert_many(leads))
    account_of = account_resolver(uow, create_for=app)
    resolved: list[tuple[ValidRow, AccountId | None]] = []
    for r in rows:
        d = r.data
        account_id = AccountId(d["account_id"]) if d["account_id"] else None
        if account_id is None and d["account"]:
            account_id = account_of(d["account"])
            if account_id is None:
                rejected.append(_reject(r, cells, "account", d["account"], "no such account"))
                continue
        resolved.append((r, account_id))
    ids = app.ids.new_many(len(resolved))
    counts = uow.contacts.import_many(
        [
            NewContact(
                ContactId(contact_id),
                d["name"][0],
                d["name"][1],
                d["email"],
                d["phone"],
                d["user_id"],
                account_id,
                d["role"],
                d["preferred_channel"],
                dict(r.extra),
            )
            for (r, account_id), contact_id in zip(resolved, ids, strict=True)
            for d in (r.data,)
        ],
        at=now,
    )
    return BatchResult(counts=counts, rejected=tuple(rejected))


def _reject(
    row: ValidRow, cells: Mapping[int, tuple[str, ...]], field: str, value: str, reason: str
) -> RejectedRow:
    return RejectedRow(
        line=row.line,
        cells=cells.get(row.line, ()),
        errors=(FieldError(field=field, value=value, reason=reason),),
    )


def _store_accounts(app: App, uow: UnitOfWork, rows: Sequence[ValidRow]) -> BatchResult:
    now = app.clock.now()
    counts = UpsertCounts()
    for r in rows:
        d = r.data
        stored = uow.accounts.find_by_name(d["name"])
        if stored is None:
            uow.accounts.add(
                Account(
                    id=AccountId(app.ids.new()),
                    name=d["name"],
                    type=d["type"],
                    industry=d["industry"],
                    size_range=d["size_range"],
                    website=d["website"],
                    region=d["region"],
                    billing_address=d["billing_address"],
                    attributes=dict(r.extra),
                    created_at=now,
                    updated_at=now,
                )
            )
            counts += UpsertCounts(created=1)
            continue
        changes = {
            k: v for k, v in d.items() if k != "name" and v is not None and getattr(stored, k) != v
        }
        attributes = {**stored.attributes, **r.extra}
        if attributes != stored.attributes:
            changes["attributes"] = attributes
        if changes:
            uow.accounts.save(attrs.evolve(stored, updated_at=now, **changes))
            counts += UpsertCounts(updated=1)
        else:
            counts += UpsertCounts(unchanged=1)
    return BatchResult(counts=counts)


def _store_deals(
    app: App, uow: UnitOfWork, rows: Sequence[ValidRow], cells: Mapping[int, tuple[str, ...]]
) -> BatchResult:
    now = app.clock.now()
    existing = {d.metadata.get("external_id"): d for d in uow.deals.list()}
    account_of = account_resolver(uow)
    counts = UpsertCounts()
    rejected: list[RejectedRow] = []
    for r in rows:
        d = r.data
        account_id = account_of(d["account"]) if d["account"] else None
        if d["account"] and account_id is None:
            rejected.append(_reject(r, cells, "account", d["account"], "no such account"))
            continue
        contact_id = None
        if d["contact_email"]:
            contact = next(iter(uow.contacts.find_many(emails=[Email(d["contact_email"])])), None)
            if contact is None:
                rejected.append(
                    _reject(r, cells, "contact_email", d["contact_email"], "no such contact")
                )
                continue
            contact_id = contact.id
        stored = existing.get(d["external_id"])
        if stored is None:
            stage: DealStage = d["stage"]
            deal = new_deal(
                app,
                title=d["title"],
                amount=d["amount"],
                account_id=account_id,
                contact_id=contact_id,
                stage=stage,
                probability=d["probability"],
                expected_close=d["expected_close"],
                owner=d["owner"],
                metadata={**r.extra, "external_id": d["external_id"]},
            )
            if stage in CLOSED_STAGES:
                deal = attrs.evolve(deal, actual_close=now.date(), lost_reason=d["lost_reason"])
            uow.deals.add(deal)
            uow.record(deal_created(deal))
            existing[d["external_id"]] = deal
            counts += UpsertCounts(created=1)
            continue
        changes: dict[str, Any] = {
            k: v
            for k, v in (
                ("title", d["title"]),
                ("amount", d["amount"]),
                ("expected_close", d["expected_close"]),
                ("owner", d["owner"]),
                ("account_id", account_id),
                ("contact_id", contact_id),
            )
            if v is not None and getattr(stored, k) != v
        }
        metadata = {**stored.metadata, **r.extra}
        if metadata != stored.metadata:
            changes["metadata"] = metadata
        if changes:
            updated: Deal = attrs.evolve(stored, updated_at=now, **changes)
            uow.deals.save(updated)
            existing[d["external_id"]] = updated
            counts += UpsertCounts(updated=1)
        else:
            counts += UpsertCounts(unchanged=1)
    return BatchResult(counts=counts, rejected=tuple(rejected))


def store_batch(
    app: App,
    kind: Kind,
    uow: UnitOfWork,
    rows: Sequence[ValidRow],
    cells: Mapping[int, tuple[str, ...]],
) -> BatchResult:
    """Upsert one batch of valid rows in ``uow`` (the caller commits)."""
    if kind in (Kind.LEADS, Kind.CONTACTS):
        return _store_people(app, kind, uow, rows, cells)
    if kind is Kind.ACCOUNTS:
        return _store_accounts(app, uow, rows)
    return _store_deals(app, uow, rows, cells)


# --------------------------------------------------------------------------- the use case


@attrs.frozen(kw_only=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: Kind
    rows: int
    created: int
    updated: int
    unchanged: int
    merged: int
    rejected: tuple[RejectedRow, ...]
    blank_lines: int
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    extras: tuple[str, ...]
    ignored: tuple[str, ...]
    dry_run: bool


#: ``progress(phase, done, total)`` with phase ``"validate"`` or ``"store"``.
Progress = Callable[[str, int, int], None]


def validate_records(
    kind: Kind,
    plan: ColumnPlan,
    defaults: Defaults,
    records: Sequence[CsvRecord],
    workers: int = WORKERS,
    progress: Progress | None = None,
    start_method: str | None = None,
) -> list[Outcome]:
    """Validate every record in order; files of 20k+ rows use a pool of ``workers``."""
    outcomes: list[Outcome] = []
    for chunk in validate_stream(
        kind, plan, defaults, records, workers=workers, start_method=start_method
    ):
        outcomes.extend(chunk)
        if progress:
            progress("validate", len(outcomes), len(records))
    return outcomes


def import_file(
    app: App,
    *,
    kind: str,
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    region: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    workers: int = WORKERS,
    progress: Progress | None = None,
    start_method: str | None = None,
) -> Result[ImportReport, AppError]:
    """Import a CSV file of ``kind``; bad rows are reported, good rows land.

    Files of 20,000+ rows are validated on ``workers`` processes started with
    ``start_method`` (``fork`` where available, else ``spawn``); ``workers=1`` keeps
    everything in this process.
    """
    check = Collector()
    parsed_kind = check.choice("kind", kind, Kind)
    region_code = (region or app.settings.default_region).upper()
    if not known_region(region_code):
        check.fail("region", region_code, "not a phone region code (e.g. RU, DE, US)")
    methods = multiprocessing.get_all_start_methods()
    if start_method is not None and start_method not in methods:
        check.fail("start_method", start_method, f"not available here; use {', '.join(methods)}")
    if workers < 1:
        check.fail("workers", str(workers), "must be at least 1")
    invalid = check.failure()
    if invalid is not None or parsed_kind is None:
        return Failure(invalid or InvalidInput(errors=()))
    with gc_paused():
        try:
            file = read_csv(path, encoding=encoding, delimiter=delimiter)
        except UnreadableFile as exc:
            return Failure(
                InvalidInput(errors=(FieldError(field="file", value=str(path), reason=str(exc)),))
            )
        return import_csv(
            app,
            kind=parsed_kind,
            file=file,
            mapping=mapping or {},
            region=region_code,
            dry_run=dry_run,
            batch_size=batch_size,
            workers=workers,
            progress=progress,
            start_method=start_method,
        )


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: an import allocates millions of objects and
    no cycles, and each collection would walk all of them (it doubles the time of a
    million-row run). Collection resumes, as it was, on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_csv(
    app: App,
    *,
    kind: Kind,
    file: CsvFile,
    mapping: Mapping[str, str],
    region: str,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    workers: int = WORKERS,
    progress: Progress | None = None,
    start_method: str | None = None,
) -> Result[ImportReport, AppError]:
    """Import an already decoded CSV file (see :func:`import_file`)."""
    planned = plan_columns(kind, file.header, mapping)
    if isinstance(planned, Failure):
        return Failure(planned.failure())
    plan = planned.unwrap()
    defaults = Defaults(region=region, currency=app.settings.default_currency)
    created = 0
    if kind is Kind.CONTACTS and not dry_run and len(file.records) >= STREAM_MIN_ROWS:
        streamed = stream_contacts(
            app,
            file,
            plan,
            defaults,
            batch_size=batch_size,
            workers=workers,
            start_method=start_method,
            progress=progress,
        )
        if isinstance(streamed, Failure):
            return Failure(streamed.failure())
        created = streamed.unwrap().created
        rejected: list[RejectedRow] = list(streamed.unwrap().rejected)
        candidates: Sequence[ValidRow] = streamed.unwrap().waiting
    else:
        outcomes = validate_records(
            kind, plan, defaults, file.records, workers, progress, start_method=start_method
        )
        rejected = [o for o in outcomes if isinstance(o, RejectedRow)]
        candidates = [o for o in outcomes if isinstance(o, ValidRow)]
    unique: dict[str, ValidRow] = {}
    merged = 0
    for row in candidates:
        key = import_key(kind, row)
        if key in unique:
            unique[key] = merge_rows(unique[key], row)
            merged += 1
        else:
            unique[key] = row
    valid = list(unique.values())
    if kind is Kind.LEADS:
        # In e-mail order (leads match by e-mail alone, so rows of other e-mails do not
        # meet): new rows and their time-ordered ids land at the ends of both indexes.
        valid.sort(key=lambda r: str(r.data["email"]))
    cells = {r.line: r.cells for r in file.records}
    batches = [valid[i : i + batch_size] for i in range(0, len(valid), batch_size)]
    total = UpsertCounts(created=created)
    stored = 0

    def run(batch_list: Sequence[Sequence[ValidRow]]) -> Result[BatchResult, AppError]:
        def work(uow: UnitOfWork) -> Result[BatchResult, AppError]:
            counts = UpsertCounts()
            bad: list[RejectedRow] = []
            for batch in batch_list:
                result = store_batch(app, kind, uow, batch, cells)
                counts += result.counts
                bad.extend(result.rejected)
            return Success(BatchResult(counts=counts, rejected=tuple(bad)))

        return transact(app, work, commit=not dry_run)

    # A dry run stages every batch in one unit of work and rolls it back, so its counts
    # are exactly what a real run would report.
    groups = [batches] if dry_run else [[b] for b in batches]
    for group in groups:
        done = run(group)
        if isinstance(done, Failure) and isinstance(done.failure(), Conflict) and not dry_run:
            done = _row_by_row(app, kind, group[0], cells)
        if isinstance(done, Failure):
            return Failure(done.failure())
        result = done.unwrap()
        total += result.counts
        rejected.extend(result.rejected)
        stored += sum(len(b) for b in group)
        if progress:
            progress("store", stored, len(valid))
    rejected.extend(
        RejectedRow(
            line=m.line, cells=(), errors=(FieldError(field="row", value=m.value, reason=m.reason),)
        )
        for m in file.malformed
    )
    return Success(
        ImportReport(
            kind=kind,
            rows=len(file.records) + len(file.malformed),
            created=total.created,
            updated=total.updated,
            unchanged=total.unchanged,
            merged=merged,
            rejected=tuple(sorted(rejected, key=lambda r: r.line)),
            blank_lines=file.blank_lines,
            encoding=file.encoding,
            delimiter=file.delimiter,
            header=file.header,
            columns=tuple((file.header[i], f) for i, f in plan.fields),
            extras=tuple(name for _, name in plan.extras),
            ignored=plan.ignored,
            dry_run=dry_run,
        )
    )


def _row_by_row(
    app: App, kind: Kind, batch: Sequence[ValidRow], cells: Mapping[int, tuple[str, ...]]
) -> Result[BatchResult, AppError]:
    """A batch that hit a unique-key conflict, stored one row per unit of work."""
    counts = UpsertCounts()
    bad: list[RejectedRow] = []
    for row in batch:

        def one(uow: UnitOfWork, row: ValidRow = row) -> Result[BatchResult, AppError]:
            return Success(store_batch(app, kind, uow, [row], cells))

        done = transact(app, one)
        if isinstance(done, Failure):
            error = done.failure()
            if not isinstance(error, Conflict):
                return Failure(error)
            bad.append(_reject(row, cells, "row", "", str(error)))
            continue
        counts += done.unwrap().counts
        bad.extend(done.unwrap().rejected)
    return Success(BatchResult(counts=counts, rejected=tuple(bad)))


REJECTED_COLUMNS = ("line", "field", "value", "reason")


def write_rejected(path: str | Path, report: ImportReport) -> None:
    """The rejected rows as CSV: the original cells, then line, fields, values, reasons."""

    def rows() -> Iterable[list[str]]:
        width = len(report.header)
        for row in report.rejected:
            original = list(row.cells) + [""] * (width - len(row.cells))
            yield [
                *original,
                str(row.line),
                "; ".join(e.field for e in row.errors),
                "; ".join(e.value for e in row.errors),
                "; ".join(e.reason for e in row.errors),
            ]

    header = [*report.header, *(f"_{c}" for c in REJECTED_COLUMNS)]
    write_csv(path, header, iter(rows()))

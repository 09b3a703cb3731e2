"""Validating imported rows (issue 5): every field error of a row at once.

A row becomes a :class:`ValidRow` (normalised primitives, ready to store) or a
:class:`RejectedRow` (its line, cells and every reason). E-mails and phones go through
:class:`~crmcore.app.importing.memo.ValueMemo` (exact fast paths, each value checked once).
Files of ``PARALLEL_MIN_ROWS`` rows or more are validated in chunks on a pool of processes
(:mod:`crmcore.app.importing.pool`); the outcomes come back in file order, chunk by chunk.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import attrs
import phonenumbers

from crmcore.app.importing.csvio import CsvRecord
from crmcore.app.importing.memo import ValueMemo
from crmcore.app.importing.plan import ColumnPlan, Defaults, Kind
from crmcore.app.importing.pool import run_chunks
from crmcore.app.importing.validation import Collector
from crmcore.domain.account import SIZE_RANGES, AccountType, size_range_for
from crmcore.domain.contact import Channel, ContactRole
from crmcore.domain.errors import FieldError
from crmcore.domain.lead import MAX_COMPANY_SIZE, LeadSource
from crmcore.domain.money import Money
from crmcore.domain.names import clean_name
from crmcore.domain.pipeline import DealStage

T = TypeVar("T")

CHUNK_SIZE = 10_000
PARALLEL_MIN_ROWS = 20_000
WORKERS = 2


def known_region(code: str) -> bool:
    """True for a region phonenumbers knows (``RU``, ``DE``, ...)."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


@attrs.frozen(kw_only=True)
class ValidRow:
    """A row whose fields are all acceptable, as normalised primitives."""

    line: int
    data: dict[str, Any]
    extra: dict[str, str]


@attrs.frozen(kw_only=True)
class RejectedRow:
    """A row that was not stored, with every reason."""

    line: int
    cells: tuple[str, ...]
    errors: tuple[FieldError, ...]


Outcome = ValidRow | RejectedRow


def _take(check: Collector, value: T | FieldError) -> T | None:
    if isinstance(value, FieldError):
        check.errors.append(value)
        return None
    return value


def _name(check: Collector, v: Mapping[str, str]) -> tuple[str, str] | None:
    return _take(check, clean_name(v.get("first_name", ""), v.get("last_name", "")))


def _int(check: Collector, field: str, raw: str, lo: int, hi: int | None = None) -> int | None:
    if not raw:
        return None
    try:
        value = int(raw.replace(" ", ""))
    except ValueError:
        check.fail(field, raw, "not a whole number")
        return None
    if value < lo or (hi is not None and value > hi):
        check.fail(field, raw, f"must be between {lo} and {hi}" if hi else f"must be ≥ {lo}")
        return None
    return value


def _validate_contact(
    v: Mapping[str, str], defaults: Defaults, check: Collector, memo: ValueMemo
) -> dict[str, Any]:
    email = _take(check, memo.email(v["email"])) if v.get("email") else None
    phone = _take(check, memo.phone(v["phone"])) if v.get("phone") else None
    if not v.get("email") and not v.get("user_id"):
        check.fail("email", "", "email or user_id is required (it is the import key)")
    account_id = None
    if v.get("account_id"):
        try:
            account_id = UUID(v["account_id"])
        except ValueError:
            check.fail("account_id", v["account_id"], "not an id")
    return {
        "name": _name(check, v),
        "email": email,
        "phone": phone,
        "user_id": v.get("user_id") or None,
        "account": v.get("account") or None,
        "account_id": account_id,
        "role": check.choice("role", v.get("role") or None, ContactRole),
        "preferred_channel": check.choice(
            "preferred_channel", v.get("preferred_channel") or None, Channel
        ),
    }


def _validate_lead(
    v: Mapping[str, str], defaults: Defaults, check: Collector, memo: ValueMemo
) -> dict[str, Any]:
    email = _take(check, memo.email(v.get("email", "")))
    phone = _take(check, memo.phone(v["phone"])) if v.get("phone") else None
    budget = check.optional(v.get("budget") or None, lambda b: Money.parse(b, field="budget"))
    return {
        "email": email,
        "name": _name(check, v),
        "phone": phone,
        "company": v.get("company") or None,
        "job_title": v.get("job_title") or None,
        "source": check.choice("source", v.get("source") or "import", LeadSource),
        "source_detail": v.get("source_detail") or None,
        "company_size": _int(check, "company_size", v.get("company_size", ""), 0, MAX_COMPANY_SIZE),
        "industry": v.get("industry") or None,
        "budget": budget.amount if budget else None,
        "region": v.get("region") or None,
    }


def _validate_account(
    v: Mapping[str, str], defaults: Defaults, check: Collector, memo: ValueMemo
) -> dict[str, Any]:
    name = " ".join(v.get("name", "").split())
    if not name:
        check.fail("name", "", "is required")
    size = v.get("size_range") or None
    if size is not None and size not in SIZE_RANGES:
        check.fail("size_range", size, f"must be one of {', '.join(SIZE_RANGES)}")
    employees = _int(check, "employees", v.get("employees", ""), 0)
    if size is None and employees is not None:
        size = size_range_for(employees)
    return {
        "name": name,
        "type": check.choice("type", v.get("type") or "corporation", AccountType),
        "industry": v.get("industry") or None,
        "size_range": size,
        "website": v.get("website") or None,
        "region": v.get("region") or None,
        "billing_address": v.get("billing_address") or None,
    }


def _validate_deal(
    v: Mapping[str, str], defaults: Defaults, check: Collector, memo: ValueMemo
) -> dict[str, Any]:
    if not v.get("external_id"):
        check.fail("external_id", "", "is required (it is the import key)")
    if not v.get("title"):
        check.fail("title", "", "is required")
    money = check.take(Money.parse(v.get("amount", ""), v.get("currency") or defaults.currency))
    if money is not None and money.is_negative:
        check.fail("amount", v.get("amount", ""), "must not be negative")
    stage = check.choice("stage", v.get("stage") or "lead", DealStage)
    if stage == DealStage.CLOSED_LOST and not v.get("lost_reason"):
        check.fail("lost_reason", "", "closed_lost requires a reason")
    expected = None
    if v.get("expected_close"):
        try:
            expected = date.fromisoformat(v["expected_close"])
        except ValueError:
            check.fail("expected_close", v["expected_close"], "not a date (YYYY-MM-DD)")
    contact_email = (
        _take(check, memo.email(v["contact_email"], field="contact_email"))
        if v.get("contact_email")
        else None
    )
    return {
        "external_id": v.get("external_id", ""),
        "title": v.get("title", ""),
        "amount": money,
        "stage": stage,
        "lost_reason": v.get("lost_reason") or None,
        "probability": _int(check, "probability", v.get("probability", ""), 0, 100),
        "expected_close": expected,
        "owner": v.get("owner") or None,
        "account": v.get("account") or None,
        "contact_email": contact_email,
    }


Validator = Callable[[Mapping[str, str], Defaults, Collector, ValueMemo], dict[str, Any]]

_VALIDATORS: dict[Kind, Validator] = {
    Kind.CONTACTS: _validate_contact,
    Kind.LEADS: _validate_lead,
    Kind.ACCOUNTS: _validate_account,
    Kind.DEALS: _validate_deal,
}


_NEUTRALISED = frozenset("=+-@")


def cell_text(cells: Sequence[str], index: int) -> str:
    """A stripped cell; ``'=x`` (neutralised by a CSV export) reads back as ``=x``."""
    if index >= len(cells):
        return ""
    text = cells[index].strip()
    if text[:1] == "'" and text[1:2] in _NEUTRALISED:
        return text[1:]
    return text


def validate_record(
    kind: Kind,
    plan: ColumnPlan,
    record: CsvRecord,
    defaults: Defaults,
    memo: ValueMemo | None = None,
) -> Outcome:
    """Validate one record: a :class:`ValidRow` or a :class:`RejectedRow` with every error.

    ``memo`` carries the e-mails and phones already checked in this run.
    """
    cells = record.cells
    width = plan.width
    check = Collector()
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        check.fail("row", str(len(cells)), f"has {len(cells)} cells, the header has {width}")
    values = {f: cell_text(cells, i) for i, f in plan.fields}
    data = _VALIDATORS[kind](values, defaults, check, memo or ValueMemo(defaults.region))
    if check.errors:
        return RejectedRow(line=record.line, cells=cells, errors=tuple(check.errors))
    if not plan.extras:
        return ValidRow(line=record.line, data=data, extra={})
    extra = {name: text for i, name in plan.extras if (text := cell_text(cells, i))}
    return ValidRow(line=record.line, data=data, extra=extra)


# --------------------------------------------------------------------------- in chunks

#: A chunk's outcomes as they cross the process boundary, plain tuples that pickle
#: cheaply: the data keys once (every row of a kind has the same), then per row
#: ``(line, True, data values, extra items)`` or ``(line, False, cells, errors)``.
PackedChunk = tuple[tuple[str, ...], list[tuple[int, bool, tuple[Any, ...], tuple[Any, ...]]]]

_run_ids = itertools.count()


@attrs.frozen(kw_only=True)
class RowJob:
    """What validating a chunk needs; ``run`` tells one import's memo from the next."""

    kind: Kind
    plan: ColumnPlan
    defaults: Defaults
    run: tuple[int, int]


_memo: tuple[tuple[int, int], ValueMemo] | None = None


def _memo_for(job: RowJob) -> ValueMemo:
    """This process's memo for the job's run (a worker keeps it from chunk to chunk)."""
    global _memo
    if _memo is None or _memo[0] != job.run:
        _memo = (job.run, ValueMemo(job.defaults.region))
    return _memo[1]


def pack(outcomes: Sequence[Outcome]) -> PackedChunk:
    """Outcomes as plain tuples (see :data:`PackedChunk`)."""
    keys = next((tuple(o.data) for o in outcomes if isinstance(o, ValidRow)), ())
    rows: list[tuple[int, bool, tuple[Any, ...], tuple[Any, ...]]] = []
    append = rows.append
    for o in outcomes:
        if isinstance(o, ValidRow):
            if len(o.data) != len(keys):
                raise ValueError(f"line {o.line}: validated data with other fields")
            append((o.line, True, tuple(o.data.values()), tuple(o.extra.items())))
        else:
            append((o.line, False, o.cells, tuple((e.field, e.value, e.reason) for e in o.errors)))
    return keys, rows


def unpack(packed: PackedChunk) -> list[Outcome]:
    """The outcomes :func:`pack` packed."""
    keys, rows = packed
    out: list[Outcome] = []
    append = out.append
    for line, valid, first, second in rows:
        if valid:
            append(
                ValidRow(line=line, data=dict(zip(keys, first, strict=True)), extra=dict(second))
            )
        else:
            errors = tuple(FieldError(field=f, value=v, reason=r) for f, v, r in second)
            append(RejectedRow(line=line, cells=first, errors=errors))
    return out


def validate_packed(job: RowJob, records: Sequence[CsvRecord]) -> PackedChunk:
    """Validate a chunk in a worker process, its outcomes packed."""
    memo = _memo_for(job)
    kind, plan, defaults = job.kind, job.plan, job.defaults
    return pack([validate_record(kind, plan, r, defaults, memo) for r in records])


def validate_packed_stream(
    kind: Kind,
    plan: ColumnPlan,
    defaults: Defaults,
    records: Sequence[CsvRecord],
    *,
    workers: int = WORKERS,
    start_method: str | None = None,
    pool_from: int = 2,
) -> Iterator[PackedChunk]:
    """The outcomes of ``records``, packed, chunk by chunk in file order.

    Files of ``PARALLEL_MIN_ROWS`` rows or more use a pool of ``workers`` processes when
    there are at least ``pool_from`` of them (each with its own memo; the pool starts
    with the first ``next``); smaller files, and fewer workers, stay in this process.
    """
    job = RowJob(kind=kind, plan=plan, defaults=defaults, run=(os.getpid(), next(_run_ids)))
    if workers >= max(pool_from, 1) and len(records) >= PARALLEL_MIN_ROWS:
        yield from run_chunks(
            validate_packed,
            job,
            records,
            chunk_size=CHUNK_SIZE,
            workers=workers,
            start_method=start_method,
        )
        return
    for start in range(0, len(records), CHUNK_SIZE):
        yield validate_packed(job, records[start : start + CHUNK_SIZE])


def validate_stream(
    kind: Kind,
    plan: ColumnPlan,
    defaults: Defaults,
    records: Sequence[CsvRecord],
    *,
    workers: int = WORKERS,
    start_method: str | None = None,
) -> Iterator[list[Outcome]]:
    """The outcomes of ``records``, chunk by chunk in file order (see
    :func:`validate_packed_stream`)."""
    for packed in validate_packed_stream(
        kind, plan, defaults, records, workers=workers, start_method=start_method
    ):
        yield unpack(packed)

"""Importing operators' CSV files (issue 5): mapping, validation, batching, upsert.

The pipeline: read and decode the file (:mod:`crmcore.app.csvio`), map its columns to
fields, validate every row (all field errors of a row at once; each distinct e-mail and
phone is validated once; large files on a pool of two processes), merge duplicate rows
of the file in order, then store batches through the bulk port
(``uow.contacts.upsert_many`` / ``uow.leads.upsert_many``; accounts by name, deals by
external id), one unit of work per batch.

Re-running a file changes nothing; a run killed midway and run again ends in the same
state as one clean run (every batch is an idempotent upsert).
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import email_validator
import phonenumbers
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.csvio import CsvFile, CsvRecord, UnreadableFile, read_csv, write_csv
from crmcore.app.deals import deal_created, new_deal
from crmcore.app.errors import AppError, Conflict
from crmcore.app.validation import Collector
from crmcore.domain.account import SIZE_RANGES, Account, AccountType, size_range_for
from crmcore.domain.contact import Channel, Contact, ContactRole
from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.ids import AccountId, ContactId, LeadId
from crmcore.domain.lead import Firmographics, Lead, LeadSource
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import CLOSED_STAGES, Deal, DealStage
from crmcore.ports.repositories import UpsertCounts
from crmcore.ports.uow import UnitOfWork

BATCH_SIZE = 5_000
CHUNK_SIZE = 10_000
PARALLEL_MIN_ROWS = 20_000
CACHE_LIMIT = 500_000


class Kind(StrEnum):
    """What a file holds."""

    CONTACTS = "contacts"
    LEADS = "leads"
    ACCOUNTS = "accounts"
    DEALS = "deals"


#: The fields each kind imports, in documentation order.
FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.CONTACTS: (
        "first_name",
        "last_name",
        "email",
        "phone",
        "user_id",
        "account",
        "account_id",
        "role",
        "preferred_channel",
    ),
    Kind.LEADS: (
        "email",
        "first_name",
        "last_name",
        "phone",
        "company",
        "job_title",
        "source",
        "source_detail",
        "company_size",
        "industry",
        "budget",
        "region",
    ),
    Kind.ACCOUNTS: (
        "name",
        "type",
        "industry",
        "size_range",
        "employees",
        "website",
        "region",
        "billing_address",
    ),
    Kind.DEALS: (
        "external_id",
        "title",
        "amount",
        "currency",
        "stage",
        "lost_reason",
        "probability",
        "expected_close",
        "owner",
        "account",
        "contact_email",
    ),
}

#: Columns the CRM itself owns: present in exports, ignored on import.
OWNED_COLUMNS = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "version",
        "status",
        "score",
        "assignee",
        "lifecycle",
        "archived",
        "funnel_stage",
        "weighted",
        "actual_close",
        "history",
        "contact_id",
    }
)

#: Common header spellings (after normalisation) → field.
SYNONYMS: dict[str, str] = {
    "e_mail": "email",
    "mail": "email",
    "email_address": "email",
    "почта": "email",
    "электронная_почта": "email",
    "firstname": "first_name",
    "first": "first_name",
    "given_name": "first_name",
    "имя": "first_name",
    "lastname": "last_name",
    "last": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "фамилия": "last_name",
    "phone_number": "phone",
    "mobile": "phone",
    "tel": "phone",
    "telephone": "phone",
    "телефон": "phone",
    "компания": "company",
    "organisation": "company",
    "organization": "company",
    "title": "title",
    "должность": "job_title",
    "position": "job_title",
    "account_name": "account",
    "company_name": "name",
    "deal": "title",
    "deal_name": "title",
    "value": "amount",
    "close_date": "expected_close",
    "external": "external_id",
    "ext_id": "external_id",
}

_SPACES = re.compile(r"[\s\-./]+")


def normalise_header(name: str) -> str:
    """``"E-mail Address "`` → ``"e_mail_address"``."""
    return _SPACES.sub("_", name.strip().lower()).strip("_")


# --------------------------------------------------------------------------- mapping


@attrs.frozen(kw_only=True)
class ColumnPlan:
    """Which column feeds which field; the rest go to attributes/metadata or are ignored."""

    fields: tuple[tuple[int, str], ...]
    extras: tuple[tuple[int, str], ...]
    ignored: tuple[str, ...]
    width: int


@attrs.frozen(kw_only=True)
class Defaults:
    """Values a row may leave out: the phone region and the currency."""

    region: str
    currency: str


def parse_mapping(pairs: Iterable[str]) -> Result[dict[str, str], InvalidInput]:
    """``["E-mail=email", "Notes="]`` → ``{"E-mail": "email", "Notes": ""}``."""
    check = Collector()
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip():
            check.fail("--map", pair, "use 'Column=field' (or 'Column=' to ignore it)")
            continue
        mapping[source.strip()] = target.strip()
    invalid = check.failure()
    return Failure(invalid) if invalid else Success(mapping)


def plan_columns(
    kind: Kind, header: Sequence[str], mapping: Mapping[str, str]
) -> Result[ColumnPlan, InvalidInput]:
    """Map the header to fields: explicit ``--map`` first, then names and synonyms."""
    check = Collector()
    known = FIELDS[kind]
    by_raw = {h: i for i, h in enumerate(header)}
    by_norm = {normalise_header(h): i for i, h in enumerate(header)}
    explicit: dict[int, str] = {}
    for source, target in mapping.items():
        index = by_raw.get(source, by_norm.get(normalise_header(source)))
        if index is None:
            check.fail("--map", source, f"no such column; the file has {', '.join(header)}")
            continue
        if target and target not in known:
            check.fail("--map", target, f"not a {kind} field; fields: {', '.join(known)}")
            continue
        explicit[index] = target
    fields: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    ignored: list[str] = []
    for index, raw in enumerate(header):
        if index in explicit:
            target = explicit[index]
        else:
            norm = normalise_header(raw)
            target = norm if norm in known else SYNONYMS.get(norm, "")
            if target not in known:
                if not raw or norm in OWNED_COLUMNS:
                    ignored.append(raw)
                else:
                    extras.append((index, raw))
                continue
        if not target:
            ignored.append(raw)
            continue
        if target in fields:
            check.fail(
                "--map",
                raw,
                f"columns {header[fields[target]]!r} and {raw!r} both map to {target}",
            )
            continue
        fields[target] = index
    for field in _required_columns(kind):
        if not any(f in fields for f in field):
            names = " or ".join(field)
            check.fail(
                "columns",
                ", ".join(header),
                f"no column for {names}; add --map 'Column={field[0]}'",
            )
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    return Success(
        ColumnPlan(
            fields=tuple(sorted((i, f) for f, i in fields.items())),
            extras=tuple(extras),
            ignored=tuple(ignored),
            width=len(header),
        )
    )


def _required_columns(kind: Kind) -> tuple[tuple[str, ...], ...]:
    return {
        Kind.CONTACTS: (("email", "user_id"),),
        Kind.LEADS: (("email",),),
        Kind.ACCOUNTS: (("name",),),
        Kind.DEALS: (("external_id",), ("title",), ("amount",)),
    }[kind]


# --------------------------------------------------------------------------- validation

_email_cache: dict[str, str | FieldError] = {}
_phone_cache: dict[tuple[str, str], str | FieldError] = {}


#: Plain ASCII addresses that ``Email.parse`` accepts and normalises by lower-casing them
#: whole; anything else (quotes, IDNA, ``--`` labels, special-use TLDs) takes the full
#: validator. A property test checks the two agree.
_PLAIN_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,63}))\Z"
)
_SPECIAL_TLDS = frozenset(getattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", ())) | {
    "arpa",
    "invalid",
    "local",
    "localhost",
    "onion",
    "test",
}


def fast_email(raw: str) -> str | None:
    """The normalised form of a plain address, or ``None`` when it needs the full check."""
    text = raw.strip()
    match = _PLAIN_EMAIL.match(text)
    if (
        match is None
        or len(text) > 254
        or len(match["local"]) > 64
        or "--" in match["domain"]
        or match["tld"].lower() in _SPECIAL_TLDS
    ):
        return None
    return f"{match['local']}@{match['domain']}".lower()


def cached_email(raw: str, *, field: str = "email") -> str | FieldError:
    """The normalised address or the error; each distinct value is validated once."""
    hit: str | FieldError | None = _email_cache.get(raw)
    if hit is None:
        hit = fast_email(raw)
    if hit is None:
        parsed = Email.parse(raw)
        hit = parsed.failure() if isinstance(parsed, Failure) else parsed.unwrap().value
        if len(_email_cache) >= CACHE_LIMIT:
            _email_cache.clear()
        _email_cache[raw] = hit
    if isinstance(hit, FieldError) and hit.field != field:
        return attrs.evolve(hit, field=field)
    return hit


def cached_phone(raw: str, region: str) -> str | FieldError:
    """The E.164 number or the error; each distinct (value, region) is validated once."""
    key = (raw, region)
    hit = _phone_cache.get(key)
    if hit is None:
        parsed = Phone.parse(raw, region=region)
        hit = parsed.failure() if isinstance(parsed, Failure) else parsed.unwrap().e164
        if len(_phone_cache) >= CACHE_LIMIT:
            _phone_cache.clear()
        _phone_cache[key] = hit
    return hit


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


def _take(check: Collector, value: str | FieldError) -> str | None:
    if isinstance(value, FieldError):
        check.errors.append(value)
        return None
    return value


def _name(check: Collector, v: Mapping[str, str]) -> tuple[str, str] | None:
    name = check.take(PersonName.parse(v.get("first_name", ""), v.get("last_name", "")))
    return (name.first, name.last) if name else None


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


def _validate_contact(v: Mapping[str, str], defaults: Defaults, check: Collector) -> dict[str, Any]:
    email = _take(check, cached_email(v["email"])) if v.get("email") else None
    phone = _take(check, cached_phone(v["phone"], defaults.region)) if v.get("phone") else None
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


def _validate_lead(v: Mapping[str, str], defaults: Defaults, check: Collector) -> dict[str, Any]:
    email = _take(check, cached_email(v.get("email", "")))
    phone = _take(check, cached_phone(v["phone"], defaults.region)) if v.get("phone") else None
    budget = check.optional(v.get("budget") or None, lambda b: Money.parse(b, field="budget"))
    return {
        "email": email,
        "name": _name(check, v),
        "phone": phone,
        "company": v.get("company") or None,
        "job_title": v.get("job_title") or None,
        "source": check.choice("source", v.get("source") or "import", LeadSource),
        "source_detail": v.get("source_detail") or None,
        "company_size": _int(check, "company_size", v.get("company_size", ""), 0),
        "industry": v.get("industry") or None,
        "budget": budget.amount if budget else None,
        "region": v.get("region") or None,
    }


def _validate_account(v: Mapping[str, str], defaults: Defaults, check: Collector) -> dict[str, Any]:
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


def _validate_deal(v: Mapping[str, str], defaults: Defaults, check: Collector) -> dict[str, Any]:
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
        _take(check, cached_email(v["contact_email"], field="contact_email"))
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


_VALIDATORS: dict[Kind, Callable[[Mapping[str, str], Defaults, Collector], dict[str, Any]]] = {
    Kind.CONTACTS: _validate_contact,
    Kind.LEADS: _validate_lead,
    Kind.ACCOUNTS: _validate_account,
    Kind.DEALS: _validate_deal,
}


def _cell(cells: Sequence[str], index: int) -> str:
    """A stripped cell; ``'=x`` (neutralised by a CSV export) reads back as ``=x``."""
    if index >= len(cells):
        return ""
    text = cells[index].strip()
    if text[:1] == "'" and text[1:2] in _NEUTRALISED:
        return text[1:]
    return text


_NEUTRALISED = frozenset("=+-@")


def validate_record(kind: Kind, plan: ColumnPlan, record: CsvRecord, defaults: Defaults) -> Outcome:
    """Validate one record: a :class:`ValidRow` or a :class:`RejectedRow` with every error."""
    cells = record.cells
    width = plan.width
    check = Collector()
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        check.fail("row", str(len(cells)), f"has {len(cells)} cells, the header has {width}")
    values = {f: _cell(cells, i) for i, f in plan.fields}
    data = _VALIDATORS[kind](values, defaults, check)
    if check.errors:
        return RejectedRow(line=record.line, cells=cells, errors=tuple(check.errors))
    extra = {name: _cell(cells, i) for i, name in plan.extras if _cell(cells, i)}
    return ValidRow(line=record.line, data=data, extra=extra)


def validate_chunk(
    job: tuple[Kind, ColumnPlan, Defaults, Sequence[CsvRecord]],
) -> list[Outcome]:
    """Validate a chunk of records (runs in a worker process for large files)."""
    kind, plan, defaults, records = job
    return [validate_record(kind, plan, r, defaults) for r in records]


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


def _resolver(uow: UnitOfWork) -> Callable[[str], AccountId | None]:
    cache: dict[str, AccountId | None] = {}

    def account_id(name: str) -> AccountId | None:
        key = name.casefold()
        if key not in cache:
            found = uow.accounts.find_by_name(name)
            cache[key] = found.id if found else None
        return cache[key]

    return account_id


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
    account_of = _resolver(uow)
    contacts: list[Contact] = []
    for r in rows:
        d = r.data
        account_id = AccountId(d["account_id"]) if d["account_id"] else None
        if account_id is None and d["account"]:
            account_id = account_of(d["account"])
            if account_id is None:
                rejected.append(_reject(r, cells, "account", d["account"], "no such account"))
                continue
        contacts.append(
            Contact(
                id=ContactId(app.ids.new()),
                name=PersonName(*d["name"]),
                email=Email(d["email"]) if d["email"] else None,
                phone=Phone(d["phone"]) if d["phone"] else None,
                user_id=d["user_id"],
                account_id=account_id,
                role=d["role"],
                preferred_channel=d["preferred_channel"],
                attributes=dict(r.extra),
                created_at=now,
                updated_at=now,
            )
        )
    return BatchResult(counts=uow.contacts.upsert_many(contacts), rejected=tuple(rejected))


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
    account_of = _resolver(uow)
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
            contact = uow.contacts.find_by_email(Email(d["contact_email"]))
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


#: What forked workers validate: set just before the pool starts, inherited by fork, so
#: that only ``(start, stop)`` pairs and compact results cross the process boundary.
_SHARED: tuple[Kind, ColumnPlan, Defaults, Sequence[CsvRecord]] | None = None

Packed = tuple[int, int, tuple[Any, ...], tuple[Any, ...]]


def _pack(outcome: Outcome) -> Packed:
    if isinstance(outcome, ValidRow):
        return (0, outcome.line, tuple(outcome.data.items()), tuple(outcome.extra.items()))
    errors = tuple((e.field, e.value, e.reason) for e in outcome.errors)
    return (1, outcome.line, outcome.cells, errors)


def _unpack(packed: Packed) -> Outcome:
    tag, line, first, second = packed
    if tag == 0:
        return ValidRow(line=line, data=dict(first), extra=dict(second))
    errors = tuple(FieldError(field=f, value=v, reason=r) for f, v, r in second)
    return RejectedRow(line=line, cells=first, errors=errors)


def _validate_range(bounds: tuple[int, int]) -> list[Packed]:
    assert _SHARED is not None
    kind, plan, defaults, records = _SHARED
    return [_pack(validate_record(kind, plan, r, defaults)) for r in records[slice(*bounds)]]


def validate_records(
    kind: Kind,
    plan: ColumnPlan,
    defaults: Defaults,
    records: Sequence[CsvRecord],
    workers: int,
    progress: Progress | None,
) -> list[Outcome]:
    """Validate every record in order; files of 20k+ rows use a pool of ``workers``."""
    global _SHARED
    bounds = [(i, min(i + CHUNK_SIZE, len(records))) for i in range(0, len(records), CHUNK_SIZE)]
    outcomes: list[Outcome] = []
    methods = multiprocessing.get_all_start_methods()
    if workers > 1 and len(records) >= PARALLEL_MIN_ROWS and "fork" in methods:
        _SHARED = (kind, plan, defaults, records)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                for packed in pool.map(_validate_range, bounds):
                    outcomes.extend(_unpack(p) for p in packed)
                    if progress:
                        progress("validate", len(outcomes), len(records))
        finally:
            _SHARED = None
        return outcomes
    for start, stop in bounds:
        outcomes.extend(validate_chunk((kind, plan, defaults, records[start:stop])))
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
    workers: int = 2,
    progress: Progress | None = None,
) -> Result[ImportReport, AppError]:
    """Import a CSV file of ``kind``; bad rows are reported, good rows land."""
    check = Collector()
    parsed_kind = check.choice("kind", kind, Kind)
    region_code = (region or app.settings.default_region).upper()
    if not known_region(region_code):
        check.fail("region", region_code, "not a phone region code (e.g. RU, DE, US)")
    invalid = check.failure()
    if invalid is not None or parsed_kind is None:
        return Failure(invalid or InvalidInput(errors=()))
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
    )


def import_csv(
    app: App,
    *,
    kind: Kind,
    file: CsvFile,
    mapping: Mapping[str, str],
    region: str,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    workers: int = 2,
    progress: Progress | None = None,
) -> Result[ImportReport, AppError]:
    """Import an already decoded CSV file (see :func:`import_file`)."""
    planned = plan_columns(kind, file.header, mapping)
    if isinstance(planned, Failure):
        return Failure(planned.failure())
    plan = planned.unwrap()
    defaults = Defaults(region=region, currency=app.settings.default_currency)
    outcomes = validate_records(kind, plan, defaults, file.records, workers, progress)
    rejected: list[RejectedRow] = [o for o in outcomes if isinstance(o, RejectedRow)]
    unique: dict[str, ValidRow] = {}
    merged = 0
    for outcome in outcomes:
        if isinstance(outcome, ValidRow):
            key = import_key(kind, outcome)
            if key in unique:
                unique[key] = merge_rows(unique[key], outcome)
                merged += 1
            else:
                unique[key] = outcome
    valid = list(unique.values())
    cells = {r.line: r.cells for r in file.records}
    batches = [valid[i : i + batch_size] for i in range(0, len(valid), batch_size)]
    total = UpsertCounts()
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
    return Success(
        ImportReport(
            kind=kind,
            rows=len(file.records),
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

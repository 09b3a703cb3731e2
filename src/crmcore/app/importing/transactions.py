"""Transaction use cases: import from parsed rows or a CSV file, idempotently.

CSV columns: ``customer_id,occurred_at,amount`` and optional ``transaction_id,currency``.
A bad value is reported with its line number and field; the good rows are imported.
Re-importing the same file adds nothing: rows are keyed by ``transaction_id`` or, when it
is absent, by a hash of their content.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.clv.clv import refresh_in
from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.app.importing.csvio import NOT_TEXT, looks_binary
from crmcore.app.loyalty.board import apply_facts, board_config
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty import BoardConfig
from crmcore.domain.loyalty_metrics import CustomerFacts, FactsDelta
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.transaction import (
    Transaction,
    TransactionId,
    TransactionRecorded,
    content_key,
)
from crmcore.ports.uow import UnitOfWork

REQUIRED_COLUMNS = ("customer_id", "occurred_at", "amount")
OPTIONAL_COLUMNS = ("transaction_id", "currency", "channel", "product")
BATCH = 1000


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
    except ValueError:
        return Failure(FieldError(field=field, value=raw, reason="not an ISO date or datetime"))
    return Success(at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC))


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


def read_transactions_csv(
    text: str, *, default_currency: str
) -> Result[tuple[list[TransactionRow], list[RowError]], InvalidInput]:
    """Parse CSV text; a missing required column fails the whole file."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return Failure(
            InvalidInput(
                errors=tuple(
                    FieldError(field=c, value=",".join(header), reason="required column missing")
                    for c in missing
                )
            )
        )
    reader.fieldnames = header

    def records() -> Iterable[tuple[int, dict[str, str]]]:
        for record in reader:
            yield reader.line_num, {k: v for k, v in record.items() if isinstance(k, str)}

    return Success(parse_rows(records(), default_currency=default_currency))


def import_transactions(
    app: App, rows: Sequence[TransactionRow]
) -> Result[ImportSummary, AppError]:
    """Store new transactions, creating unknown customers as contacts; duplicates are skipped."""
    total = ImportSummary()
    board = board_config(app)
    if isinstance(board, Failure):
        return Failure(board.failure())
    config = board.unwrap()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        result = transact(app, lambda uow, b=batch: store_transactions(app, uow, b, config))  # type: ignore[misc]
        if isinstance(result, Failure):
            return result
        done: ImportSummary = result.unwrap()
        total = ImportSummary(
            imported=total.imported + done.imported,
            duplicates=total.duplicates + done.duplicates,
            contacts_created=total.contacts_created + done.contacts_created,
        )
    return Success(total)


def store_transactions(
    app: App, uow: UnitOfWork, batch: Sequence[TransactionRow], config: BoardConfig
) -> Result[ImportSummary, AppError]:
    """Inside an open unit of work: store the rows not stored yet (by ``external_id``),
    creating unknown customers, and move their loyalty facts, cards and CLV along."""
    now = app.clock.now()
    known = uow.transactions.existing_external_ids(r.external_id for r in batch)
    contacts: dict[str, ContactId] = {}
    fresh: list[Transaction] = []
    purchases: dict[ContactId, list[Transaction]] = {}
    duplicates = created = 0
    for row in batch:
        key = row.external_id
        if key in known:
            duplicates += 1
            continue
        known.add(key)
        customer = contacts.get(row.customer_id)
        if customer is None:
            contact = uow.contacts.find_by_user_id(row.customer_id)
            if contact is None:
                contact = Contact(
                    id=ContactId(app.ids.new()),
                    name=PersonName(row.customer_id, ""),
                    user_id=row.customer_id,
                    lifecycle=LifecycleStage.CUSTOMER,
                    created_at=now,
                    updated_at=now,
                )
                uow.contacts.add(contact)
                created += 1
            customer = contacts[row.customer_id] = contact.id
        transaction = Transaction(
            id=TransactionId(app.ids.new()),
            customer=customer,
            occurred_at=row.occurred_at,
            amount=row.amount,
            external_id=key,
            channel=row.channel,
            product=row.product,
        )
        fresh.append(transaction)
        purchases.setdefault(customer, []).append(transaction)
        uow.record(
            TransactionRecorded(
                transaction_id=transaction.id,
                customer=customer,
                occurred_at=row.occurred_at,
                amount=str(row.amount.amount),
                currency=row.amount.currency,
            )
        )
    imported = uow.transactions.add_many(fresh)
    for customer, bought in purchases.items():
        moved = _update_loyalty(app, uow, customer, bought, config)
        if isinstance(moved, Failure):
            return moved
    refresh_in(app, uow, contacts.values())  # C9: recompute their CLV with the stored fit
    return Success(
        ImportSummary(imported=imported, duplicates=duplicates, contacts_created=created)
    )


def purchase_facts(known: CustomerFacts | None, bought: Sequence[Transaction]) -> FactsDelta:
    """The loyalty facts change of newly stored transactions: one purchase and its amount
    per positive transaction (refunds change neither), the earliest transaction as first
    interaction unless an earlier one is known, the latest purchase as last purchase.
    Amounts add up whatever their currency (the board's revenue is a plain number)."""
    paid = [t for t in bought if t.amount.amount > 0]
    days = [t.occurred_at.date() for t in bought]
    first = min(days)
    if known is not None and known.first_interaction is not None:
        first = min(first, known.first_interaction)
    values: dict[str, object] = {"first_interaction": first}
    if paid:
        last = max(t.occurred_at.date() for t in paid)
        if known is not None and known.last_purchase is not None:
            last = max(last, known.last_purchase)
        values["last_purchase"] = last
    counters: dict[str, int | Decimal] = {}
    if paid:
        counters = {
            "purchases": len(paid),
            "revenue": sum((t.amount.amount for t in paid), Decimal(0)),
        }
    return FactsDelta(counters=counters, values=values)


def _update_loyalty(
    app: App,
    uow: UnitOfWork,
    customer: ContactId,
    bought: Sequence[Transaction],
    config: BoardConfig,
) -> Result[object, AppError]:
    """In the import's unit of work: the customer's loyalty facts and card follow the
    purchases (``apply_facts``), so the board reflects an import as soon as it commits."""
    delta = purchase_facts(uow.loyalty_facts.get(customer), bought)
    return apply_facts(uow, app, customer=customer, delta=delta, config=config)


def import_transactions_file(app: App, path: Path) -> Result[ImportSummary, AppError]:
    """Read a CSV file and import its good rows; the summary lists the rejected ones."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Failure(
            InvalidInput(errors=(FieldError(field="file", value=str(path), reason=str(exc)),))
        )
    if looks_binary(raw):
        return Failure(
            InvalidInput(errors=(FieldError(field="file", value=str(path), reason=NOT_TEXT),))
        )
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        parsed = read_transactions_csv(text, default_currency=app.settings.default_currency)
    except csv.Error as exc:
        return Failure(
            InvalidInput(errors=(FieldError(field="file", value=str(path), reason=str(exc)),))
        )
    if isinstance(parsed, Failure):
        return Failure(parsed.failure())
    rows, errors = parsed.unwrap()
    return import_transactions(app, rows).map(lambda s: attrs.evolve(s, errors=tuple(errors)))

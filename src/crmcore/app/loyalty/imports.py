"""Reading an existing customer base for placement: CSV rows of customer facts."""

from __future__ import annotations

import csv
import io
from datetime import date
from uuid import UUID

from returns.result import Failure, Result, Success

from crmcore.app.loyalty.board import CustomerImport
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.loyalty import CustomerKind
from crmcore.domain.loyalty_metrics import FACTS, facts_from

#: Columns that describe the customer rather than their facts.
IDENTITY_COLUMNS = ("customer", "name", "contact", "kind", "first_interaction")


def read_customers_csv(text: str) -> Result[list[CustomerImport], InvalidInput]:
    """Rows ``customer,name,contact,kind,first_interaction,<fact>...``; every bad cell is
    reported as ``line N: column: reason`` and nothing is imported when any is bad."""
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    errors: list[FieldError] = []
    unknown = [c for c in columns if c not in IDENTITY_COLUMNS and c not in FACTS]
    for column in unknown:
        known = ", ".join((*IDENTITY_COLUMNS, *FACTS))
        errors.append(
            FieldError(
                field=f"header: {column}", value=column, reason=f"unknown column; known: {known}"
            )
        )
    for required in ("customer", "name", "first_interaction"):
        if required not in columns:
            errors.append(
                FieldError(field=f"header: {required}", value="", reason="column is required")
            )
    if errors:
        return Failure(InvalidInput(errors=tuple(errors)))
    rows: list[CustomerImport] = []
    seen: set[UUID] = set()
    for line, raw in enumerate(reader, start=2):
        cells = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        row = _row(cells, f"line {line}", seen, errors)
        if row is not None:
            rows.append(row)
    if errors:
        return Failure(InvalidInput(errors=tuple(errors)))
    return Success(rows)


def _row(
    cells: dict[str, str], where: str, seen: set[UUID], errors: list[FieldError]
) -> CustomerImport | None:
    before = len(errors)
    customer: UUID | None = None
    try:
        customer = UUID(cells["customer"])
    except ValueError:
        errors.append(
            FieldError(field=f"{where}: customer", value=cells["customer"], reason="must be a UUID")
        )
    if customer is not None and customer in seen:
        errors.append(
            FieldError(field=f"{where}: customer", value=str(customer), reason="appears twice")
        )
    if not cells["name"]:
        errors.append(FieldError(field=f"{where}: name", value="", reason="is required"))
    first: date | None = None
    try:
        first = date.fromisoformat(cells["first_interaction"])
    except ValueError:
        errors.append(
            FieldError(
                field=f"{where}: first_interaction",
                value=cells["first_interaction"],
                reason="must be a date (YYYY-MM-DD)",
            )
        )
    kind = CustomerKind.CONTACT
    if cells.get("kind"):
        try:
            kind = CustomerKind(cells["kind"].lower())
        except ValueError:
            errors.append(
                FieldError(
                    field=f"{where}: kind", value=cells["kind"], reason="must be contact or account"
                )
            )
    raw_facts: dict[str, object] = {k: v for k, v in cells.items() if k in FACTS and v != ""}
    if first is not None:
        raw_facts.setdefault("first_interaction", first.isoformat())
    facts = facts_from(raw_facts)
    if isinstance(facts, Failure):
        errors.extend(
            FieldError(field=f"{where}: {e.field}", value=e.value, reason=e.reason)
            for e in facts.failure().errors
        )
    if len(errors) > before or customer is None or first is None:
        return None
    seen.add(customer)
    return CustomerImport(
        customer=customer,
        name=cells["name"],
        contact=cells.get("contact", ""),
        kind=kind,
        first_interaction=first,
        facts=facts.unwrap(),
    )

"""Mapping an operator's CSV header to the fields of what it imports (issue 5).

Explicit ``--map`` pairs first, then the field names themselves and common spellings
(``E-mail``, ``Имя``, ...); columns the CRM owns are ignored and any other column is kept
in attributes/metadata, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.importing.validation import Collector
from crmcore.domain.errors import InvalidInput


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

"""The upsert rule shared by every storage adapter's bulk import path.

An imported record updates the stored one field by field: a field the import leaves
empty (``None``) keeps the stored value, and the fields the CRM itself owns (identity,
status, score, funnel position, timestamps, version) are never overwritten by an import.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

from crmcore.domain.contact import Contact
from crmcore.domain.lead import Lead

T = TypeVar("T", Lead, Contact)

OWNED: dict[type[Any], frozenset[str]] = {
    Lead: frozenset(
        {
            "id",
            "status",
            "score",
            "assignee",
            "engagement",
            "qualification",
            "disqualify_reason",
            "created_at",
            "updated_at",
            "version",
        }
    ),
    Contact: frozenset(
        {
            "id",
            "lifecycle",
            "funnel",
            "archived",
            "source_lead_id",
            "created_at",
            "updated_at",
            "version",
        }
    ),
}


def merge_import(stored: T, incoming: T) -> T | None:
    """The stored record updated from ``incoming``, or ``None`` when nothing changes."""
    owned = OWNED[type(stored)]
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(stored)):
        if field.name in owned:
            continue
        new = getattr(incoming, field.name)
        if new is None or new == {} or new == getattr(stored, field.name):
            continue
        changes[field.name] = new
    if not changes:
        return None
    return attrs.evolve(stored, updated_at=incoming.updated_at, **changes)

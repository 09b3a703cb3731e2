"""Domain records ↔ JSON-ready dicts for exports (a private converter for this edge)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import cattrs

from crmcore.domain.email import Email
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(UUID, str)
    conv.register_unstructure_hook(datetime, lambda v: v.isoformat())
    conv.register_unstructure_hook(date, lambda v: v.isoformat())
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(Enum, lambda v: v.value)
    conv.register_unstructure_hook(Email, lambda v: v.value)
    conv.register_unstructure_hook(Phone, lambda v: v.e164)
    conv.register_unstructure_hook(PersonName, lambda v: {"first": v.first, "last": v.last})
    return conv


_CONVERTER = _make_converter()


def to_json_ready(record: Any) -> Any:
    """An attrs record (or a list of them) as plain JSON values."""
    return _CONVERTER.unstructure(record)

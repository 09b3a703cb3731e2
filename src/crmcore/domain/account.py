"""Accounts: b2b organisations such as universities and corporations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from crmcore.domain.ids import AccountId


class AccountType(StrEnum):
    """Kinds of organisation."""

    UNIVERSITY = "university"
    CORPORATION = "corporation"
    NGO = "ngo"


SIZE_RANGES: tuple[str, ...] = ("1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+")


def size_range_for(employees: int) -> str:
    """The size range an employee count falls in."""
    bounds = (10, 50, 200, 1000, 5000)
    for bound, label in zip(bounds, SIZE_RANGES, strict=False):
        if employees <= bound:
            return label
    return SIZE_RANGES[-1]


@attrs.frozen(kw_only=True)
class Account:
    """An organisation we sell to."""

    id: AccountId
    name: str
    type: AccountType = AccountType.CORPORATION
    industry: str | None = None
    size_range: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(SIZE_RANGES))
    )
    website: str | None = None
    region: str | None = None
    billing_address: str | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    created_at: datetime
    updated_at: datetime
    version: int = 0

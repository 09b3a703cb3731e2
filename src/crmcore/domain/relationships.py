"""Relationship mapping (PRODUCT.md C2): who a contact is to an account or to another
contact, and an account's decision-making unit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import attrs

from crmcore.domain.ids import AccountId, ContactId


class RelationRole(StrEnum):
    """The part a contact plays, for an account or towards another contact."""

    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    USER = "user"
    BILLING_CONTACT = "billing_contact"


#: The order of a decision-making unit: who decides first, who pays last.
DMU_ORDER = tuple(RelationRole)


@attrs.frozen(kw_only=True)
class Relationship:
    """``contact_id`` plays ``role`` for exactly one of an account or another contact."""

    id: UUID
    contact_id: ContactId
    role: RelationRole
    account_id: AccountId | None = None
    other_contact_id: ContactId | None = None
    note: str = ""
    created_at: datetime
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if (self.account_id is None) == (self.other_contact_id is None):
            raise ValueError("a relationship links a contact to one account or one contact")
        if self.other_contact_id == self.contact_id:
            raise ValueError("a contact cannot be related to itself")


def decision_making_unit(
    relationships: Iterable[Relationship], account_id: AccountId
) -> tuple[Relationship, ...]:
    """The account's relationships in DMU order (role, then when they were recorded);
    one entry per contact and role."""
    seen: set[tuple[ContactId, RelationRole]] = set()
    chosen = []
    for r in sorted(
        (r for r in relationships if r.account_id == account_id),
        key=lambda r: (DMU_ORDER.index(r.role), r.created_at, str(r.contact_id)),
    ):
        if (r.contact_id, r.role) not in seen:
            seen.add((r.contact_id, r.role))
            chosen.append(r)
    return tuple(chosen)

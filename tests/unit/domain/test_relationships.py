"""Relationships: one target each; the decision-making unit's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.relationships import (
    DMU_ORDER,
    RelationRole,
    Relationship,
    decision_making_unit,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ACME = AccountId(UUID(int=1))
OTHER = AccountId(UUID(int=2))

links = st.builds(
    lambda n, contact, role, account, minutes: Relationship(
        id=UUID(int=1000 + n),
        contact_id=ContactId(UUID(int=100 + contact)),
        role=role,
        account_id=account,
        created_at=T0 + timedelta(minutes=minutes),
    ),
    n=st.integers(0, 10**6),
    contact=st.integers(0, 5),
    role=st.sampled_from(RelationRole),
    account=st.sampled_from([ACME, OTHER]),
    minutes=st.integers(0, 100),
)


@settings(max_examples=50)
@given(found=st.lists(links, max_size=20))
def test_the_unit_lists_each_contact_and_role_once_in_role_order(
    found: list[Relationship],
) -> None:
    unit = decision_making_unit(found, ACME)
    assert all(r.account_id == ACME for r in unit)
    pairs = [(r.contact_id, r.role) for r in unit]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {(r.contact_id, r.role) for r in found if r.account_id == ACME}
    ranks = [DMU_ORDER.index(r.role) for r in unit]
    assert ranks == sorted(ranks)


def test_a_relationship_has_exactly_one_target() -> None:
    with pytest.raises(ValueError, match="one account or one contact"):
        Relationship(
            id=UUID(int=1), contact_id=ContactId(UUID(int=5)), role=RelationRole.USER,
            created_at=T0,
        )  # fmt: skip
    with pytest.raises(ValueError, match="itself"):
        Relationship(
            id=UUID(int=1), contact_id=ContactId(UUID(int=5)), role=RelationRole.USER,
            other_contact_id=ContactId(UUID(int=5)), created_at=T0,
        )  # fmt: skip


def test_equal_role_and_time_are_ordered_by_contact_and_refusals_are_worded() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    account = AccountId(UUID(int=9))
    later, earlier = (
        Relationship(
            id=UUID(int=n),
            contact_id=ContactId(UUID(int=n)),
            role=RelationRole.CHAMPION,
            account_id=account,
            created_at=at,
        )
        for n in (2, 1)
    )
    assert decision_making_unit([later, earlier], account) == (earlier, later)
    with pytest.raises(
        ValueError, match=r"^a relationship links a contact to one account or one contact$"
    ):
        Relationship(
            id=UUID(int=1), contact_id=ContactId(UUID(int=1)), role=RelationRole.USER, created_at=at
        )
    with pytest.raises(ValueError, match=r"^a contact cannot be related to itself$"):
        Relationship(
            id=UUID(int=1),
            contact_id=ContactId(UUID(int=1)),
            role=RelationRole.USER,
            other_contact_id=ContactId(UUID(int=1)),
            created_at=at,
        )

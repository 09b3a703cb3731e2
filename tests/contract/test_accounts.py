"""AccountRepository contract."""

from __future__ import annotations

import attrs

from crmcore.domain.account import AccountType
from tests.contract.conftest import Backend
from tests.contract.helpers import account


def test_account_round_trip_and_case_insensitive_name_lookup(backend: Backend) -> None:
    uni = attrs.evolve(
        account(backend, "Université Paris"),
        type=AccountType.UNIVERSITY,
        industry="education",
        size_range="1001-5000",
        website="https://example.edu",
        region="EU",
        billing_address="1 rue X, Paris",
        attributes={"students": 12000, "tags": ["a", "b"]},
    )
    with backend.uow() as uow:
        uow.accounts.add(uni)
        uow.commit()
    with backend.uow() as uow:
        assert uow.accounts.get(uni.id) == attrs.evolve(uni, version=1)
        found = uow.accounts.find_by_name("UNIVERSITÉ PARIS")
        assert found is not None
        assert found.id == uni.id
        assert uow.accounts.find_by_name("Other") is None


def test_accounts_list_pages_in_id_order(backend: Backend) -> None:
    made = [account(backend, f"Org {i}") for i in range(4)]
    with backend.uow() as uow:
        assert uow.accounts.count() == 0
    with backend.uow() as uow:
        for a in made:
            uow.accounts.add(a)
        uow.commit()
    with backend.uow() as uow:
        page = uow.accounts.list(limit=2, offset=2)
        assert [a.id for a in page] == sorted(a.id for a in made)[2:]
        assert uow.accounts.count() == 4

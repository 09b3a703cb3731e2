"""Merging accounts on every backend: every reference moves, an undo restores every read."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure

from crmcore.adapters.sql.tables import metadata
from crmcore.app.context import App
from crmcore.app.dedup.account_merge import merge_accounts, unmerge_accounts
from crmcore.app.sales.accounts import create_account
from crmcore.app.sales.contacts import create_contact
from crmcore.app.sales.deals import create_deal
from crmcore.app.sales.relationships import relate
from crmcore.domain.account_merge import MERGED_INTO
from crmcore.domain.ids import AccountId
from crmcore.ports.merge import ACCOUNT_REFERENCE_KINDS
from tests.contract.conftest import Backend


def _schema_references() -> set[str]:
    """Every column of the schema that names an account: foreign keys to ``accounts.id``
    and columns called ``account_id``."""
    found = set()
    for table in metadata.sorted_tables:
        for column in table.columns:
            to_accounts = any(fk.column.table.name == "accounts" for fk in column.foreign_keys)
            if to_accounts or column.name == "account_id":
                found.add(f"{table.name}.{column.name}")
    return found


def test_the_port_covers_every_column_that_names_an_account(backend: Backend) -> None:
    with backend.uow() as uow:
        covered = uow.account_references.kinds()
    assert covered == ACCOUNT_REFERENCE_KINDS
    missing = _schema_references() - covered
    assert not missing, f"merge would forget {sorted(missing)}: add them to AccountReferences"


def _reads(backend: Backend, ids: tuple[AccountId, ...]) -> dict[str, Any]:
    """What an operator can read about these accounts (versions and stamps aside)."""
    out: dict[str, Any] = {}
    with backend.uow() as uow:
        for aid in ids:
            account = uow.accounts.get(aid)
            assert account is not None
            out[f"account {aid}"] = attrs.evolve(account, version=0)
            out[f"contacts {aid}"] = sorted(str(c.id) for c in uow.contacts.list(account_id=aid))
            out[f"deals {aid}"] = sorted(str(d.id) for d in uow.deals.list() if d.account_id == aid)
            out[f"relations {aid}"] = sorted(str(r.id) for r in uow.relationships.for_account(aid))
            out[f"references {aid}"] = uow.account_references.find(aid)
    return out


def _firm(app: App, n: int, tag: str, *, filled: bool, count: int) -> AccountId:
    account = create_account(
        app,
        name=f"Acme {n} {tag}",
        industry="edtech" if filled else None,
        website=f"https://acme{n}.example" if filled or n == 2 else None,
        attributes={"city": "Kazan", f"k{n}": n},
    ).unwrap()
    for k in range(count):
        person = create_contact(
            app, first_name="Anna", last_name=f"K{n}{k}", email=f"a{n}{k}{tag}@acme.example",
            account_id=account.id,
        ).unwrap()  # fmt: skip
        create_deal(app, title=f"deal {n}.{k}", amount="100", account_id=account.id).unwrap()
        relate(app, person.id, role="decision_maker", account_id=account.id).unwrap()
    return account.id


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    filled=st.tuples(st.booleans(), st.booleans()),
    counts=st.tuples(st.integers(0, 2), st.integers(0, 2)),
)
def test_account_merge_then_unmerge_is_the_identity_on_every_read(
    backend: Backend, backend_app: App, filled: tuple[bool, bool], counts: tuple[int, int]
) -> None:
    tag = backend.ids.new().hex  # the store outlives one example
    keep = _firm(backend_app, 1, tag, filled=filled[0], count=counts[0])
    other = _firm(backend_app, 2, tag, filled=filled[1], count=counts[1])
    before = _reads(backend, (keep, other))

    record = merge_accounts(backend_app, keep, other, reason="same firm", by="ops").unwrap()
    after = _reads(backend, (keep, other))
    assert after[f"references {other}"] == {}
    assert len(after[f"contacts {keep}"]) == counts[0] + counts[1]
    assert len(after[f"deals {keep}"]) == counts[0] + counts[1]
    assert len(after[f"relations {keep}"]) == counts[0] + counts[1]
    kept = after[f"account {keep}"]
    assert kept.website == (before[f"account {keep}"].website or "https://acme2.example")
    assert kept.attributes["k1"] == 1
    assert kept.attributes["k2"] == 2
    assert after[f"account {other}"].attributes[MERGED_INTO] == str(keep)
    assert isinstance(merge_accounts(backend_app, keep, other), Failure)  # already merged

    unmerge_accounts(backend_app, record.id, by="ops").unwrap()
    assert _reads(backend, (keep, other)) == before
    assert isinstance(unmerge_accounts(backend_app, record.id), Failure)


def test_unknown_accounts_and_merges_are_refused(backend_app: App) -> None:
    keep = create_account(backend_app, name="Solo").unwrap().id
    assert isinstance(merge_accounts(backend_app, keep, keep), Failure)
    assert isinstance(merge_accounts(backend_app, keep, AccountId(uuid4())), Failure)
    assert isinstance(unmerge_accounts(backend_app, uuid4()), Failure)

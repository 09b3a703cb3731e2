"""ContactRepository contract."""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, given, settings

from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.phone import Phone
from crmcore.ports.repositories import UpsertCounts
from tests.contract.conftest import Backend
from tests.contract.helpers import account, contact
from tests.strategies import contact_entities


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=contact_entities())
def test_a_contact_reads_back_exactly_as_it_was_added(backend: Backend, stored: Contact) -> None:
    with backend.uow() as uow:
        uow.contacts.add(stored)
        assert uow.contacts.get(stored.id) == stored


def test_lookups_by_user_id_email_and_phone(backend: Backend) -> None:
    a = contact(backend, email="a@example.com", user_id="u-1", phone="+79001234567")
    b = contact(backend, email="b@example.com", phone="+79001234567")
    c = contact(backend, email="c@example.com", phone="+79007654321")
    with backend.uow() as uow:
        for x in (c, b, a):
            uow.contacts.add(x)
        uow.commit()
    with backend.uow() as uow:
        by_user = uow.contacts.find_by_user_id("u-1")
        by_email = uow.contacts.find_by_email(Email("b@example.com"))
        by_phone = uow.contacts.find_by_phone(Phone("+79001234567"))
        missing = uow.contacts.find_by_user_id("nope")
    assert by_user is not None
    assert by_user.id == a.id
    assert by_email is not None
    assert by_email.id == b.id
    assert [x.id for x in by_phone] == sorted([a.id, b.id])
    assert missing is None


def test_list_by_account_hides_archived_unless_asked(backend: Backend) -> None:
    acme = account(backend, "Acme")
    x = contact(backend, email="x@example.com", account_id=acme.id)
    y = attrs.evolve(contact(backend, email="y@example.com", account_id=acme.id), archived=True)
    z = contact(backend, email="z@example.com")
    with backend.uow() as uow:
        uow.accounts.add(acme)
        for c in (x, y, z):
            uow.contacts.add(c)
        uow.commit()
    with backend.uow() as uow:
        of_acme = uow.contacts.list(account_id=acme.id)
        all_of_acme = uow.contacts.list(account_id=acme.id, include_archived=True)
        active = uow.contacts.list()
    assert [c.id for c in of_acme] == [x.id]
    assert [c.id for c in all_of_acme] == sorted([x.id, y.id])
    assert [c.id for c in active] == sorted([x.id, z.id])


def test_upsert_many_matches_user_id_first_then_email(backend: Backend) -> None:
    known = attrs.evolve(
        contact(backend, email="old@example.com", user_id="u-9"), lifecycle=LifecycleStage.CUSTOMER
    )
    by_mail = contact(backend, email="mail@example.com")
    with backend.uow() as uow:
        uow.contacts.add(known)
        uow.contacts.add(by_mail)
        uow.commit()
    incoming = [
        contact(backend, email="new@example.com", user_id="u-9", first="Renamed"),
        contact(backend, email="mail@example.com", phone="+79001112233"),
        contact(backend, email="fresh@example.com"),
        contact(backend, email="fresh@example.com"),
    ]
    with backend.uow() as uow:
        counts = uow.contacts.upsert_many(incoming)
        uow.commit()
    assert counts == UpsertCounts(created=1, updated=2, unchanged=1)
    with backend.uow() as uow:
        first = uow.contacts.get(known.id)
        second = uow.contacts.get(by_mail.id)
        everyone = uow.contacts.list(include_archived=True)
    assert first is not None
    assert second is not None
    assert (first.email, first.name.first, first.lifecycle) == (
        Email("new@example.com"),
        "Renamed",
        LifecycleStage.CUSTOMER,
    )
    assert second.phone == Phone("+79001112233")
    assert len(everyone) == 3

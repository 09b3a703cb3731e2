"""ContactRepository contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from uuid import uuid4

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmcore.domain.contact import (
    Channel,
    Contact,
    ContactRole,
    LifecycleStage,
    NewContact,
    contact_from_new,
)
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.phone import Phone
from crmcore.ports.errors import ConcurrentModification, DuplicateKey
from crmcore.ports.repositories import ContactHeadline, UpsertCounts
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend
from tests.contract.helpers import account, contact, write_and_commit
from tests.strategies import contact_entities, instants


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=contact_entities())
def test_a_contact_reads_back_exactly_as_it_was_added(backend: Backend, stored: Contact) -> None:
    with backend.uow() as uow:
        uow.contacts.add(stored)
        assert uow.contacts.get(stored.id) == stored


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=contact_entities())
def test_headlines_are_the_stored_contacts_name_keys_and_creation(
    backend: Backend, stored: Contact
) -> None:
    missing = ContactId(uuid4())
    with backend.uow() as uow:
        uow.contacts.add(stored)
        read = uow.contacts.get(stored.id)
        headlines = uow.contacts.headlines([stored.id, missing, stored.id])
        nothing = uow.contacts.headlines([])
    assert read is not None
    assert headlines == {
        stored.id: ContactHeadline(
            id=stored.id,
            name=read.name.full,
            email=read.email.value if read.email is not None else None,
            phone=read.phone.e164 if read.phone is not None else None,
            created_at=read.created_at,
        )
    }
    assert nothing == {}


def test_lookups_by_user_id_email_and_phone(backend: Backend) -> None:
    a = contact(backend, email="a@example.com", user_id="u-1", phone="+79001234567")
    b = contact(backend, email="b@example.com", phone="+79001234567")
    c = contact(backend, email="c@example.com", phone="+79007654321")
    with backend.uow() as uow:
        for x in (c, b, a):
            uow.contacts.add(x)
        uow.commit()
    with backend.uow() as uow:
        by_user = next(iter(uow.contacts.find_many(user_ids=["u-1"])), None)
        by_email = next(iter(uow.contacts.find_many(emails=[Email("b@example.com")])), None)
        by_phone = uow.contacts.find_many(phones=[Phone("+79001234567")])
        missing = next(iter(uow.contacts.find_many(user_ids=["nope"])), None)
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


def test_find_many_find_versions_and_get_many_read_many_keys_at_once(backend: Backend) -> None:
    a = contact(backend, email="a@example.com", user_id="u-1", phone="+79001234567")
    b = contact(backend, email="b@example.com", phone="+79001234567")
    c = contact(backend, email="c@example.com", phone="+79007654321")
    d = contact(backend, email="d@example.com")
    with backend.uow() as uow:
        uow.contacts.add_many([c, b, a, d])
        uow.commit()
    with backend.uow() as uow:
        found = uow.contacts.find_many(
            user_ids={"u-1", "nope"},
            emails={Email("a@example.com"), Email("c@example.com")},
            phones={Phone("+79001234567")},
        )
        versions = uow.contacts.find_versions(
            user_ids={"u-1"},
            emails={Email("a@example.com"), Email("c@example.com")},
            phones={Phone("+79001234567")},
        )
        by_email = uow.contacts.find_versions(emails={Email("d@example.com")})
        by_id = uow.contacts.get_many([d.id, a.id, d.id])
        nothing = uow.contacts.find_many()
    assert [x.id for x in found] == sorted([a.id, b.id, c.id])
    assert found[[x.id for x in found].index(b.id)] == attrs.evolve(b, version=1)
    assert versions == {a.id: 1, b.id: 1, c.id: 1}
    assert by_email == {d.id: 1}
    assert [x.id for x in by_id] == sorted([a.id, d.id])
    assert nothing == []


def test_headlines_read_the_asked_attributes_of_the_contacts_that_exist(backend: Backend) -> None:
    health = {"nps": 7, "features_used": ["export", "api"], "last_active_at": "2026-01-02"}
    a = attrs.evolve(contact(backend, email="a@example.com"), attributes={"health": health})
    b = attrs.evolve(contact(backend, email="b@example.com"), attributes={"tier": "gold"})
    c = attrs.evolve(contact(backend, email="c@example.com"), attributes={"health": "high"})
    d = attrs.evolve(contact(backend, email="d@example.com"), attributes={"health": [1, None]})
    with backend.uow() as uow:
        uow.contacts.add_many([a, b, c, d])
        uow.commit()
    missing = ContactId(uuid4())
    with backend.uow() as uow:
        heads = uow.contacts.headlines([a.id, b.id, c.id, d.id, missing, a.id], ("health",))
        read = {k: h.attributes for k, h in heads.items()}
        assert read == {a.id: {"health": health}, b.id: {}, c.id: {"health": "high"},
                        d.id: {"health": [1, None]}}  # fmt: skip
        both = uow.contacts.headlines([b.id], ("tier", "health"))
        assert {k: h.attributes for k, h in both.items()} == {b.id: {"tier": "gold"}}
        assert uow.contacts.headlines([], ("health",)) == {}
        assert all(h.attributes == {} for h in uow.contacts.headlines([a.id, b.id]).values())
        for x in uow.contacts.get_many([a.id, b.id, c.id, d.id]):
            assert read[x.id].get("health") == x.attributes.get("health")


def test_find_versions_after_a_write_reports_the_versions_first_read(backend: Backend) -> None:
    a = contact(backend, email="a@example.com", user_id="u-1")
    b = contact(backend, email="b@example.com")
    with backend.uow() as uow:
        uow.contacts.add_many([a, b])
        uow.commit()
    with backend.uow() as uow:
        before = uow.contacts.find_versions(user_ids={"u-1"}, emails={Email("b@example.com")})
        uow.contacts.touch_many([attrs.evolve(a, version=1)])
        after = uow.contacts.find_versions(user_ids={"u-1"}, emails={Email("b@example.com")})
        uow.commit()
    with backend.uow() as uow:
        stored = uow.contacts.find_versions(user_ids={"u-1"}, emails={Email("b@example.com")})
    assert before == after == {a.id: 1, b.id: 1}
    assert stored == {a.id: 2, b.id: 1}


def test_save_many_saves_every_contact_or_refuses_a_stale_one(backend: Backend) -> None:
    a = contact(backend, email="a@example.com")
    b = contact(backend, email="b@example.com")
    with backend.uow() as uow:
        uow.contacts.add_many([a, b])
        uow.commit()
    with backend.uow() as uow:
        stale_a, stale_b = uow.contacts.get_many([a.id, b.id])
        uow.contacts.save_many(
            [attrs.evolve(x, lifecycle=LifecycleStage.CUSTOMER) for x in (stale_a, stale_b)]
        )
        uow.commit()
    with backend.uow() as uow:
        assert [x.version for x in uow.contacts.get_many([a.id, b.id])] == [2, 2]
        assert {x.lifecycle for x in uow.contacts.get_many([a.id, b.id])} == {
            LifecycleStage.CUSTOMER
        }
    stale = [attrs.evolve(stale_a, archived=True), stale_b]
    with pytest.raises(ConcurrentModification), backend.uow() as uow:
        write_and_commit(uow, lambda: uow.contacts.save_many(stale))
    with backend.uow() as uow:
        assert not any(x.archived for x in uow.contacts.get_many([a.id, b.id]))


def test_touch_many_moves_only_the_version(backend: Backend) -> None:
    a = contact(backend, email="a@example.com", phone="+79001234567")
    b = contact(backend, email="b@example.com")
    with backend.uow() as uow:
        uow.contacts.add_many([a, b])
        uow.commit()
    with backend.uow() as uow:
        read = uow.contacts.get_many([a.id, b.id])
        uow.contacts.touch_many(read)
        uow.commit()
    with backend.uow() as uow:
        assert list(uow.contacts.get_many([a.id, b.id])) == [
            attrs.evolve(x, version=2) for x in read
        ]
    with pytest.raises(ConcurrentModification), backend.uow() as uow:
        write_and_commit(uow, lambda: uow.contacts.touch_many(read))


def _new(c: Contact) -> NewContact:
    return NewContact(
        c.id,
        c.name.first,
        c.name.last,
        c.email.value if c.email else None,
        c.phone.e164 if c.phone else None,
        c.user_id,
        None,
        c.role,
        c.preferred_channel,
        c.attributes,
    )


def _distinct_keys(cs: list[Contact]) -> bool:
    emails = [c.email for c in cs if c.email is not None]
    users = [c.user_id for c in cs if c.user_id is not None]
    return len(set(emails)) == len(emails) and len(set(users)) == len(users)


_EMAILS = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
_USERS = ["u-1", "u-2", "u-3"]


@st.composite
def _keyed(draw: st.DrawFn, base: Contact) -> Contact:
    """``base`` with an e-mail and a user id from small pools, so that keys collide."""
    email = draw(st.none() | st.sampled_from(_EMAILS))
    user = draw(st.none() | st.sampled_from(_USERS)) if email else draw(st.sampled_from(_USERS))
    return attrs.evolve(base, email=Email(email) if email else None, user_id=user)


def _outcome(run: Callable[[], UpsertCounts], uow: UnitOfWork) -> object:
    try:
        counts = run()
    except DuplicateKey:
        return "duplicate key"
    return counts, uow.contacts.list(include_archived=True)


def _both_ways(
    backend: Backend, stored: list[Contact], news: list[NewContact], at: datetime
) -> tuple[object, object]:
    """What ``import_many(news)`` and ``upsert_many`` of their entities, each over
    ``stored`` in a unit of work of its own, end with: counts and contacts, or a refused
    duplicate key."""
    with backend.uow() as uow:
        uow.contacts.add_many(stored)
        imported = _outcome(lambda: uow.contacts.import_many(news, at=at), uow)
    with backend.uow() as uow:
        uow.contacts.add_many(stored)
        entities = [contact_from_new(n, at=at) for n in news]
        upserted = _outcome(lambda: uow.contacts.upsert_many(entities), uow)
    return imported, upserted


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=st.lists(contact_entities().flatmap(_keyed), max_size=3, unique_by=lambda c: c.id),
    incoming=st.lists(contact_entities().flatmap(_keyed), max_size=6, unique_by=lambda c: c.id),
    at=instants,
)
def test_import_many_does_what_upsert_many_of_the_entities_does(
    backend: Backend, stored: list[Contact], incoming: list[Contact], at: datetime
) -> None:
    assume(_distinct_keys(stored))
    news = [_new(c) for c in incoming]
    imported, upserted = _both_ways(backend, stored, news, at)
    assert imported == upserted


def test_import_many_stores_new_rows_as_add_many_would(backend: Backend) -> None:
    news = [
        _new(contact(backend, email="x@example.com", phone="+79001234567")),
        _new(attrs.evolve(contact(backend, email="y@example.com"), user_id="u-7")),
    ]
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with backend.uow() as uow:
        assert uow.contacts.import_many(news, at=at) == UpsertCounts(created=2)
        uow.commit()
    with backend.uow() as uow:
        stored = uow.contacts.get_many([n.id for n in news])
    assert [(c.email, c.user_id, c.created_at, c.version) for c in stored] == [
        (Email("x@example.com"), None, at, 1),
        (Email("y@example.com"), "u-7", at, 1),
    ]
    assert stored == sorted(
        (attrs.evolve(contact_from_new(n, at=at), version=1) for n in news), key=lambda c: c.id
    )


def test_keys_in_use_names_the_stored_user_ids_and_emails(backend: Backend) -> None:
    a = attrs.evolve(contact(backend, email="a@example.com"), user_id="u-1")
    b = contact(backend, email="b@example.com")
    with backend.uow() as uow:
        uow.contacts.add_many([a, b])
        uow.commit()
    with backend.uow() as uow:
        found = uow.contacts.keys_in_use(
            user_ids=["u-1", "u-2"], emails=["b@example.com", "c@example.com", "b@example.com"]
        )
        assert found == ({"u-1"}, {"b@example.com"})
        assert uow.contacts.keys_in_use() == (set(), set())


def test_add_imported_refuses_a_taken_email_and_stores_nothing(backend: Backend) -> None:
    taken = contact(backend, email="taken@example.com")
    with backend.uow() as uow:
        uow.contacts.add(taken)
        uow.commit()
    fresh = _new(contact(backend, email="fresh@example.com"))
    clash = _new(contact(backend, email="taken@example.com"))
    with pytest.raises(DuplicateKey), backend.uow() as uow:
        write_and_commit(
            uow, lambda: uow.contacts.add_imported([fresh, clash], at=taken.created_at)
        )
    with backend.uow() as uow:
        assert uow.contacts.get(fresh.id) is None
        assert len(uow.contacts.list(include_archived=True)) == 1


V = TypeVar("V")


@st.composite
def _variant(draw: st.DrawFn, c: Contact) -> Contact:
    """``c`` again, each field kept, emptied or changed (names are kept or changed)."""

    def pick(kept: V, changed: V, empty: V | None = None) -> V | None:
        return draw(st.sampled_from([kept, kept, empty, changed]))

    first = draw(st.sampled_from([c.name.first, c.name.first, c.name.first + "x"]))
    return attrs.evolve(
        c,
        name=attrs.evolve(c.name, first=first),
        phone=pick(c.phone, Phone("+79001112233")),
        role=pick(c.role, ContactRole.CHAMPION),
        preferred_channel=pick(c.preferred_channel, Channel.SMS),
        attributes=pick(c.attributes, {"tier": "gold"}, {}) or {},
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=st.lists(
        contact_entities().flatmap(_keyed), min_size=1, max_size=3, unique_by=lambda c: c.id
    ),
    data=st.data(),
    at=instants,
)
def test_import_many_of_stored_contacts_again_updates_only_what_changed(
    backend: Backend, stored: list[Contact], data: st.DataObject, at: datetime
) -> None:
    assume(_distinct_keys(stored))
    again = [data.draw(_variant(c)) for c in stored]
    news = [_new(attrs.evolve(c, id=ContactId(uuid4()))) for c in again]
    imported, upserted = _both_ways(backend, stored, news, at)
    assert imported == upserted


def test_adding_a_taken_email_in_bulk_is_a_duplicate_key_that_leaves_the_transaction_usable(
    backend: Backend,
) -> None:
    """Two workers creating the same new contact: the second one's bulk insert reports
    the clash (PostgreSQL: ``ON CONFLICT DO NOTHING``, no aborted transaction) and can
    read the first one's contact in the same transaction."""
    first = contact(backend, email="same@example.com", first="First")
    with backend.uow() as uow:
        uow.contacts.add(first)
        uow.commit()
    mine = contact(backend, email="same@example.com", first="Mine")
    with backend.uow() as uow:
        with pytest.raises(DuplicateKey):
            write_and_commit(uow, lambda: uow.contacts.add_many([mine]))
        if backend.name != "memory":  # memory refuses at commit, which ended the unit
            found = next(iter(uow.contacts.find_many(emails=[Email("same@example.com")])), None)
            assert found is not None
            assert found.name.first == "First"


_keys = st.text("abcxyz_. 0123456789", min_size=1, max_size=6)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=st.lists(contact_entities(), max_size=4, unique_by=lambda c: c.id),
    extra=st.dictionaries(_keys, st.none() | st.booleans() | st.integers() | st.text(max_size=5)),
)
def test_compared_values_are_the_listed_contacts_values(
    backend: Backend, stored: list[Contact], extra: dict[str, object]
) -> None:
    """The lean read gives, for every contact ``list`` gives, its name, e-mail, phone
    and the asked attributes as stored (absent ones as ``None``)."""
    assume(len({c.email for c in stored if c.email}) == sum(1 for c in stored if c.email))
    stored = [attrs.evolve(c, attributes={**c.attributes, **extra}) for c in stored]
    asked = (*extra, "missing", *(k for c in stored for k in c.attributes if '"' not in k))
    with backend.uow() as uow:  # never committed: each example starts empty
        uow.contacts.add_many(stored)
        listed = uow.contacts.list()
        values = uow.contacts.compared_values(asked)
    assert [v.id for v in values] == [c.id for c in listed]
    for v, c in zip(values, listed, strict=True):
        assert (v.first_name, v.last_name) == (c.name.first, c.name.last)
        assert v.email == (str(c.email) if c.email else None)
        assert v.phone == (str(c.phone) if c.phone else None)
        assert v.attributes == tuple(c.attributes.get(k) for k in asked)

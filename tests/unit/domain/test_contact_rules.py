"""Contacts pinned: archiving is a soft delete stamped with its time, and a bulk import's
``NewContact`` becomes exactly the contact it stands for (every field carried, the rest at
their defaults).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import attrs
from hypothesis import given

from crmcore.domain.contact import (
    Channel,
    Contact,
    ContactRole,
    LifecycleStage,
    NewContact,
    contact_from_new,
)
from crmcore.domain.email import Email
from crmcore.domain.funnel import FunnelJourney, FunnelStage
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from tests.conftest import T0
from tests.strategies import contact_entities, deltas

LATER = T0 + timedelta(hours=3)


def new(**kw: Any) -> NewContact:
    base = NewContact(
        id=ContactId(UUID(int=7)),
        first_name="Anna",
        last_name="Lee",
        email="anna@example.com",
        phone="+79001234567",
        user_id="u-7",
        account_id=AccountId(UUID(int=9)),
        role=ContactRole.CHAMPION,
        preferred_channel=Channel.SMS,
        attributes={"tier": "gold", "visits": 3},
    )
    return base._replace(**kw)


def test_archiving_hides_the_contact_and_stamps_the_time_only() -> None:
    contact = contact_from_new(new(), at=T0)
    archived = contact.archive(at=LATER)
    assert archived.archived is True
    assert archived.updated_at == LATER
    assert archived.created_at == T0
    assert archived == attrs.evolve(contact, archived=True, updated_at=LATER)
    assert contact.archived is False  # the original is untouched


@given(contact_entities(), deltas)
def test_archiving_changes_nothing_but_the_flag_and_the_time(contact: Contact, d: Any) -> None:
    at = contact.updated_at + d
    archived = contact.archive(at=at)
    assert archived.archived is True
    assert archived.updated_at == at
    assert attrs.evolve(archived, archived=contact.archived, updated_at=contact.updated_at) == (
        contact
    )
    assert archived.archive(at=at) == archived  # archiving twice is archiving once


def test_a_new_contact_carries_every_field_it_names() -> None:
    got = contact_from_new(new(), at=T0)
    assert got == Contact(
        id=ContactId(UUID(int=7)),
        name=PersonName("Anna", "Lee"),
        email=Email("anna@example.com"),
        phone=Phone("+79001234567"),
        user_id="u-7",
        account_id=AccountId(UUID(int=9)),
        role=ContactRole.CHAMPION,
        preferred_channel=Channel.SMS,
        attributes={"tier": "gold", "visits": 3},
        created_at=T0,
        updated_at=T0,
    )
    # field by field, so that a failure names the field
    assert got.id == ContactId(UUID(int=7))
    assert got.name == PersonName("Anna", "Lee")
    assert got.email == Email("anna@example.com")
    assert got.phone == Phone("+79001234567")
    assert got.user_id == "u-7"
    assert got.account_id == AccountId(UUID(int=9))
    assert got.role is ContactRole.CHAMPION
    assert got.preferred_channel is Channel.SMS
    assert got.attributes == {"tier": "gold", "visits": 3}
    assert (got.created_at, got.updated_at) == (T0, T0)


def test_a_new_contact_starts_as_an_unarchived_lead_at_the_funnel_start() -> None:
    got = contact_from_new(new(), at=T0)
    assert got.lifecycle is LifecycleStage.LEAD
    assert got.funnel == FunnelJourney()
    assert got.funnel.stage is FunnelStage.VISITOR
    assert got.source_lead_id is None
    assert got.archived is False
    assert got.version == 0


def test_a_new_contact_without_email_phone_or_links_has_none() -> None:
    got = contact_from_new(
        new(
            email=None,
            phone=None,
            user_id=None,
            account_id=None,
            role=None,
            preferred_channel=None,
            attributes={},
        ),
        at=T0,
    )
    assert (got.email, got.phone, got.user_id, got.account_id) == (None, None, None, None)
    assert (got.role, got.preferred_channel, got.attributes) == (None, None, {})


def test_only_the_missing_one_of_email_and_phone_is_none() -> None:
    no_email = contact_from_new(new(email=None), at=T0)
    assert no_email.email is None
    assert no_email.phone == Phone("+79001234567")
    no_phone = contact_from_new(new(phone=None), at=T0)
    assert no_phone.phone is None
    assert no_phone.email == Email("anna@example.com")


def test_a_new_contacts_attributes_are_its_own_copy() -> None:
    attributes: dict[str, Any] = {"tier": "gold"}
    got = contact_from_new(new(attributes=attributes), at=T0)
    attributes["tier"] = "silver"
    assert got.attributes == {"tier": "gold"}
    assert got.attributes is not attributes


def test_a_new_contact_keeps_a_one_part_name() -> None:
    assert contact_from_new(new(first_name="Cher", last_name=""), at=T0).name == PersonName(
        "Cher", ""
    )
    assert contact_from_new(new(first_name="", last_name="Lee"), at=T0).name == PersonName(
        "", "Lee"
    )


def test_the_enums_keep_their_stored_values() -> None:
    assert [r.value for r in ContactRole] == ["decision_maker", "influencer", "champion", "user"]
    assert [s.value for s in LifecycleStage] == ["lead", "prospect", "customer", "advocate"]
    assert [c.value for c in Channel] == ["email", "push", "messenger", "phone", "sms", "in_app"]

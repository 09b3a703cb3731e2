"""Erasure pinned: the placeholder address, the audit log's subject key (a keyed HMAC, not a
plain digest), which payload strings are redacted and which stay, the case-insensitive
mention check, and exactly which fields of a lead, contact and activity are erased (and
which aggregates stay).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure

from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ActivityId, ContactId, DealId, LeadId
from crmcore.domain.lead import Lead
from crmcore.domain.names import PersonName
from crmcore.domain.privacy import (
    ERASED_DOMAIN,
    ERASED_NAME,
    ERASED_TEXT,
    STRUCTURAL_KEYS,
    anonymise_activity,
    anonymise_contact,
    anonymise_lead,
    erased_email,
    mentions,
    redact,
    subject_key,
)
from tests.conftest import T0
from tests.strategies import contact_entities, json_values, lead_entities

LATER = T0 + timedelta(days=2)


def test_the_erased_placeholders_read_as_documented() -> None:
    assert PersonName("Erased", "") == ERASED_NAME
    assert ERASED_DOMAIN == "erased.invalid"
    assert ERASED_TEXT == "[erased]"


def test_an_erased_address_is_unique_and_undeliverable() -> None:
    assert erased_email("abc123") == Email("erased-abc123@erased.invalid")
    assert erased_email(UUID(int=5).hex).value == f"erased-{UUID(int=5).hex}@erased.invalid"
    assert erased_email("a") != erased_email("b")
    assert erased_email("a").domain == "erased.invalid"
    # .invalid is a reserved name: the placeholder can never be typed in as an address
    assert isinstance(Email.parse(erased_email("abc").value), Failure)


def test_the_subject_key_is_the_hmac_sha256_of_the_address_under_the_secret() -> None:
    email = Email("anna@example.com")
    secret = b"database secret"
    expected = hmac.new(secret, b"anna@example.com", hashlib.sha256).hexdigest()
    assert subject_key(email, secret=secret) == expected
    assert len(expected) == 64
    # not the unsalted digest anyone could recompute from the address
    assert subject_key(email, secret=secret) != hashlib.sha256(b"anna@example.com").hexdigest()
    assert subject_key(email, secret=b"another") != expected
    assert subject_key(Email("bob@example.com"), secret=secret) != expected


def test_the_subject_key_reads_the_address_as_utf8() -> None:
    email = Email("анна@пример.рф")
    expected = hmac.new(b"s", "анна@пример.рф".encode(), hashlib.sha256).hexdigest()
    assert subject_key(email, secret=b"s") == expected


@given(st.binary(max_size=16), st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.com", fullmatch=True))
def test_the_subject_key_is_a_keyed_hmac(secret: bytes, address: str) -> None:
    expected = hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()
    assert subject_key(Email(address), secret=secret) == expected


def test_structural_keys_are_the_documented_ones() -> None:
    assert {"type", "id", "at", "amount", "currency", "status", "reason", "contact_id"} <= (
        STRUCTURAL_KEYS
    )
    assert not {"email", "name", "phone", "subject", "description", "text"} & STRUCTURAL_KEYS


def test_redaction_of_a_stored_payload_worked_out() -> None:
    payload: dict[object, Any] = {
        "type": "lead.created",
        "email": "anna@example.com",
        "amount": "12.50",
        "count": 3,
        "ratio": 0.5,
        "ok": True,
        "gone": None,
        "tags": ["vip", "anna"],
        "pair": ("x", 1),
        "status": ["new", "qualified"],
        "nested": {"name": "Anna", "id": "n-1", "deep": [{"note": "hi", "kind": "call"}]},
        7: "seven",
    }
    assert redact(payload) == {
        "type": "lead.created",
        "email": ERASED_TEXT,
        "amount": "12.50",
        "count": 3,
        "ratio": 0.5,
        "ok": True,
        "gone": None,
        "tags": [ERASED_TEXT, ERASED_TEXT],
        "pair": [ERASED_TEXT, 1],
        "status": ["new", "qualified"],
        "nested": {
            "name": ERASED_TEXT,
            "id": "n-1",
            "deep": [{"note": ERASED_TEXT, "kind": "call"}],
        },
        7: ERASED_TEXT,
    }


def test_a_bare_string_is_redacted_unless_its_key_is_structural() -> None:
    assert redact("Anna") == "[erased]"
    assert redact("Anna", key="name") == "[erased]"
    assert redact("lead", key="type") == "lead"
    assert redact(["a", "b"]) == ["[erased]", "[erased]"]
    assert redact(("a",), key="stage") == ["a"]
    assert redact({"id": 5}) == {"id": 5}
    assert redact({"5": "x", "id": "y"}) == {"5": ERASED_TEXT, "id": "y"}


@pytest.mark.parametrize("key", sorted(STRUCTURAL_KEYS))
def test_every_structural_key_survives(key: str) -> None:
    assert redact({key: "kept", "who": "gone"}) == {key: "kept", "who": ERASED_TEXT}


@given(json_values)
def test_redaction_keeps_no_free_string_and_is_idempotent(value: object) -> None:
    once = redact(value)

    def strings(v: object) -> list[str]:
        if isinstance(v, dict):
            return [s for x in v.values() for s in strings(x)]
        if isinstance(v, list):
            return [s for x in v for s in strings(x)]
        return [v] if isinstance(v, str) else []

    assert all(s == ERASED_TEXT for s in strings(once))
    assert redact(once) == once


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.decimals(allow_nan=False)))
def test_non_strings_stay(value: object) -> None:
    assert redact(value) == value
    assert redact(value, key="name") == value


def test_a_mention_is_case_insensitive_and_ignores_empty_needles() -> None:
    assert mentions("Call ANNA tomorrow", ["anna"])
    assert mentions("call anna", ["ANNA"])
    assert mentions("Straße 5", ["STRASSE"])  # casefold, not lower
    assert mentions("x", ["nobody", "X"])
    assert not mentions("call bob", ["anna", "lee"])
    assert not mentions("anything", [""])
    assert not mentions("anything", ["", "zzz"])
    assert not mentions("anything", [])


def test_an_erased_lead_keeps_status_score_and_engagement_only() -> None:
    lead = Lead(
        id=LeadId(UUID(int=3)),
        email=Email("anna@example.com"),
        name=PersonName("Anna", "Lee"),
        phone=None,
        company="Acme",
        job_title="CTO",
        source_detail="webinar",
        disqualify_reason="spam",
        metadata={"utm": "x"},
        score=42,
        created_at=T0,
        updated_at=T0,
    )
    got = anonymise_lead(lead, at=LATER)
    assert got == attrs.evolve(
        lead,
        email=Email(f"erased-{UUID(int=3).hex}@erased.invalid"),
        name=PersonName("Erased", ""),
        company=None,
        job_title=None,
        source_detail=None,
        metadata={},
        disqualify_reason=None,
        updated_at=LATER,
    )
    assert got.score == 42
    assert got.created_at == T0


@given(lead_entities())
def test_no_personal_field_of_a_lead_survives(lead: Lead) -> None:
    at = lead.updated_at + timedelta(days=1)
    got = anonymise_lead(lead, at=at)
    assert got.email == Email(f"erased-{lead.id.hex}@erased.invalid")
    assert got.name == ERASED_NAME
    assert (got.phone, got.company, got.job_title, got.source_detail) == (None, None, None, None)
    assert (got.qualification, got.disqualify_reason, got.metadata) == (None, None, {})
    assert got.updated_at == at
    kept = ("id", "source", "status", "score", "assignee", "firmographics", "engagement")
    for name in (*kept, "created_at", "version"):
        assert getattr(got, name) == getattr(lead, name), name


@given(contact_entities())
def test_no_personal_field_of_a_contact_survives(contact: Contact) -> None:
    at = contact.updated_at + timedelta(days=1)
    got = anonymise_contact(contact, at=at)
    assert got == attrs.evolve(
        contact,
        name=PersonName("Erased", ""),
        email=Email(f"erased-{contact.id.hex}@erased.invalid"),
        phone=None,
        user_id=None,
        preferred_channel=None,
        attributes={},
        archived=True,
        updated_at=at,
    )
    for name in ("lifecycle", "funnel", "role", "account_id", "source_lead_id", "created_at"):
        assert getattr(got, name) == getattr(contact, name), name


def test_an_erased_contact_is_archived_whatever_it_was() -> None:
    contact = Contact(
        id=ContactId(UUID(int=4)),
        name=PersonName("Bob", "Ray"),
        user_id="u1",
        attributes={"a": 1},
        created_at=T0,
        updated_at=T0,
    )
    got = anonymise_contact(contact, at=LATER)
    assert contact.archived is False
    assert got.archived is True
    assert got.email == Email(f"erased-{UUID(int=4).hex}@erased.invalid")
    assert (got.user_id, got.attributes, got.updated_at) == (None, {}, LATER)
    assert got.name == PersonName("Erased", "")


def test_an_erased_activity_keeps_type_links_and_dates() -> None:
    activity = Activity(
        id=ActivityId(UUID(int=8)),
        type=ActivityType.CALL,
        subject="Call Anna about the renewal",
        description="She said her husband Bob decides",
        contact_id=ContactId(UUID(int=4)),
        deal_id=DealId(UUID(int=6)),
        actor="rep-1",
        due_at=T0,
        created_at=T0,
    )
    got = anonymise_activity(activity)
    assert got.subject == "[erased]"
    assert got.description == ""
    assert got == attrs.evolve(activity, subject="[erased]", description="")


def test_the_amount_key_keeps_a_decimal_string() -> None:
    assert redact({"amount": str(Decimal("1e3"))}) == {"amount": "1E+3"}

"""Matching an interaction to a contact (C10) pinned: each decision with its reason."""

from __future__ import annotations

from uuid import UUID

from crmcore.domain.ids import ContactId
from crmcore.domain.matching import Ambiguous, CreateContact, Matched, decide_match

A, B, C = (ContactId(UUID(int=i)) for i in (1, 2, 3))


def test_the_user_id_wins_outright() -> None:
    assert decide_match(by_user_id=A, by_email=B, by_phone=[C]) == Matched(A, "user_id")


def test_the_email_decides_unless_the_phone_is_only_someone_elses() -> None:
    assert decide_match(by_user_id=None, by_email=A, by_phone=[]) == Matched(A, "email")
    assert decide_match(by_user_id=None, by_email=A, by_phone=[B, A]) == Matched(A, "email")
    assert decide_match(by_user_id=None, by_email=A, by_phone=[B, C, B]) == Ambiguous(
        (A, B, C), "e-mail and phone belong to different contacts"
    )


def test_a_phone_alone_must_point_at_one_contact() -> None:
    assert decide_match(by_user_id=None, by_email=None, by_phone=[B, B]) == Matched(B, "phone")
    assert decide_match(by_user_id=None, by_email=None, by_phone=[B, C, B]) == Ambiguous(
        (B, C), "the phone belongs to 2 contacts"
    )
    assert decide_match(by_user_id=None, by_email=None, by_phone=[]) == CreateContact()

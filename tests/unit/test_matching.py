"""The pure matching decision: user id, then e-mail, then phone."""

from __future__ import annotations

from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.ids import ContactId
from crmcore.domain.matching import Ambiguous, CreateContact, Matched, decide_match

ids = st.integers(0, 5).map(lambda n: ContactId(UUID(int=n + 1)))


@given(ids, st.none() | ids, st.lists(ids, max_size=3))
def test_the_user_id_wins(
    user: ContactId, email: ContactId | None, phones: list[ContactId]
) -> None:
    assert decide_match(by_user_id=user, by_email=email, by_phone=phones) == Matched(
        user, "user_id"
    )


@given(ids, st.lists(ids, max_size=3))
def test_email_and_phone_of_different_contacts_are_ambiguous(
    email: ContactId, phones: list[ContactId]
) -> None:
    decision = decide_match(by_user_id=None, by_email=email, by_phone=phones)
    if phones and email not in phones:
        assert isinstance(decision, Ambiguous)
        assert email in decision.candidates
        assert set(phones) <= set(decision.candidates)
    else:
        assert decision == Matched(email, "email")


@given(st.lists(ids, max_size=4))
def test_a_phone_alone_must_be_unique(phones: list[ContactId]) -> None:
    decision = decide_match(by_user_id=None, by_email=None, by_phone=phones)
    distinct = set(phones)
    if not distinct:
        assert decision == CreateContact()
    elif len(distinct) == 1:
        assert decision == Matched(phones[0], "phone")
    else:
        assert isinstance(decision, Ambiguous)
        assert set(decision.candidates) == distinct

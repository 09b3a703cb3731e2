"""Positional builders give exactly the records their attrs constructors give."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.inbox import InboxEntry, InboxStatus, entry_key, stored_entry
from crmcore.domain.interactions import (
    AppLogin,
    Billing,
    BillingKind,
    Customer,
    EmailEngagement,
    Feedback,
    FormAnswer,
    Interaction,
    InteractionType,
    Purchase,
)
from crmcore.domain.slots import positional_builder

_texts = st.none() | st.text(max_size=8)
_times = st.none() | st.datetimes(timezones=st.just(None) | st.timezones())
_values = _texts | st.integers() | st.booleans() | _times | st.uuids()

_INBOX_FIELDS = {
    "event_id": st.text(max_size=8),
    "type": st.text(max_size=8),
    "payload": st.dictionaries(st.text(max_size=3), _values, max_size=3),
    "validated": st.booleans(),
    "status": st.sampled_from(InboxStatus),
    "attempts": st.integers(0, 10),
    "next_attempt_at": _times,
    "occurred_at": _times,
    "received_at": _times,
    "last_error": _texts,
    "claimed_by": _texts,
    "claim_token": st.none() | st.uuids(),
    "lease_until": _times,
    "processed_at": _times,
    "version": st.integers(0, 10),
}


def _same(built: Any, constructed: Any) -> None:
    assert type(built) is type(constructed)
    assert built == constructed
    for field in attrs.fields(type(built)):
        assert getattr(built, field.name) is getattr(constructed, field.name)


@given(st.fixed_dictionaries(_INBOX_FIELDS))
def test_a_stored_entry_is_the_entry_its_constructor_builds(values: dict[str, Any]) -> None:
    built = stored_entry(*(values[name] for name in _INBOX_FIELDS))  # in the fields' order
    _same(built, InboxEntry(**values))
    assert built.id == entry_key(values["event_id"])  # the cached key still works
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.status = InboxStatus.DONE  # type: ignore[misc]


_DETAILS = st.one_of(
    st.builds(Purchase, order_id=_texts, amount=st.just(None)),
    st.builds(EmailEngagement, campaign_id=_texts, message_id=_texts, url=_texts),
    st.builds(AppLogin, device=_texts),
    st.builds(Feedback, text=st.text(max_size=5), channel=_texts, rating=st.none() | st.integers()),
    st.builds(FormAnswer, form_id=st.text(max_size=5), answers=st.dictionaries(st.text(), _texts)),
    st.builds(Billing, kind=st.sampled_from(BillingKind), reference=_texts),
)


@given(
    st.builds(
        Interaction,
        event_id=st.text(max_size=8),
        type=st.sampled_from(InteractionType),
        occurred_at=st.datetimes(),
        utc_offset=st.timedeltas(min_value=timedelta(hours=-14), max_value=timedelta(hours=14)),
        customer=st.builds(Customer, user_id=_texts, first_name=st.text(max_size=3)),
        details=_DETAILS,
        source=_texts,
    )
)
def test_interactions_and_their_details_are_built_as_their_constructors_build_them(
    interaction: Interaction,
) -> None:
    for record in (interaction, interaction.details, interaction.customer):
        cls = type(record)
        fields = {f.name: getattr(record, f.name) for f in attrs.fields(cls)}
        _same(positional_builder(cls)(*fields.values()), cls(**fields))


@attrs.frozen
class _Checked:
    size: int = attrs.field(validator=attrs.validators.instance_of(int))


@attrs.frozen
class _Converted:
    size: int = attrs.field(converter=int)


@attrs.frozen
class _Initialised:
    size: int

    def __attrs_post_init__(self) -> None:
        pass


@attrs.frozen(slots=False)
class _WithoutSlots:
    size: int


@pytest.mark.parametrize("cls", [_Checked, _Converted, _Initialised, _WithoutSlots])
def test_records_whose_constructor_does_more_have_no_builder(cls: type) -> None:
    with pytest.raises(TypeError):
        positional_builder(cls)

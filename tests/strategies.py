"""The one home of hypothesis strategies (STYLE habit 11)."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from crmcore.domain.money import ISO_4217

_local_chars = string.ascii_letters + string.digits + "._+-"


@st.composite
def emails(draw: st.DrawFn) -> str:
    """Syntactically valid addresses with random case in the domain."""
    first = draw(st.sampled_from(string.ascii_lowercase))
    rest = draw(st.text(_local_chars.replace(".", ""), max_size=12))
    label = draw(st.text(string.ascii_letters + string.digits, min_size=1, max_size=12))
    tld = draw(st.sampled_from(["com", "org", "ru", "io", "net", "de"]))
    return f"{first}{rest}@{label}.{tld}"


@st.composite
def ru_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A Russian mobile number in a local written form, and its E.164 form."""
    digits = draw(st.text("0123456789", min_size=7, max_size=7))
    e164 = f"+7900{digits}"
    local = draw(
        st.sampled_from(
            [
                f"8 (900) {digits[:3]}-{digits[3:5]}-{digits[5:]}",
                f"+7 900 {digits[:3]} {digits[3:5]} {digits[5:]}",
                f"8900{digits}",
                f"+7(900){digits}",
            ]
        )
    )
    return local, e164


currencies = st.sampled_from(sorted(ISO_4217))

amounts = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), allow_nan=False, places=2
)

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)

deltas = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))

names = st.text(string.ascii_letters + " -'" + "абвгдежзиклмнопрстуфхцчшщэюя", max_size=30)


# -- stored aggregates (storage contract tests) ------------------------------------------

_printable = st.characters(min_codepoint=32, max_codepoint=0x4FF, exclude_categories=["Cs"])
short_texts = st.text(alphabet=_printable, max_size=40)
_json_scalars = (
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(_printable, max_size=10)
)
json_values = st.recursive(
    _json_scalars,
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(st.text(_printable, max_size=5), kids, max_size=3)
    ),
    max_leaves=6,
)
json_objects = st.dictionaries(st.text(_printable, max_size=8), json_values, max_size=4)
optional_texts = st.none() | short_texts.filter(bool)
e164s = st.builds(lambda d: f"+7900{d}", st.text("0123456789", min_size=7, max_size=7))


@st.composite
def person_names(draw: st.DrawFn) -> Any:
    """A valid ``PersonName``."""
    from crmcore.domain.names import PersonName

    first = draw(st.text(string.ascii_letters + "абвгд", min_size=1, max_size=20))
    last = draw(st.text(string.ascii_letters + "-'", max_size=20))
    return PersonName(first, last)


@st.composite
def lead_entities(draw: st.DrawFn) -> Any:
    """A ``Lead`` as a use case would store it (any status, scoring inputs, metadata)."""
    from crmcore.domain.email import Email
    from crmcore.domain.ids import LeadId
    from crmcore.domain.lead import (
        Engagement,
        Firmographics,
        Lead,
        LeadSource,
        LeadStatus,
        Qualification,
    )
    from crmcore.domain.phone import Phone

    created = draw(instants)
    return Lead(
        id=LeadId(draw(st.uuids())),
        email=Email(draw(emails()).lower()),
        name=draw(person_names()),
        phone=draw(st.none() | e164s.map(Phone)),
        company=draw(optional_texts),
        job_title=draw(optional_texts),
        source=draw(st.sampled_from(LeadSource)),
        source_detail=draw(optional_texts),
        status=draw(st.sampled_from(LeadStatus)),
        score=draw(st.integers(0, 100)),
        assignee=draw(optional_texts),
        firmographics=Firmographics(
            company_size=draw(st.none() | st.integers(0, 10**6)),
            industry=draw(optional_texts),
            budget=draw(st.none() | amounts),
            region=draw(optional_texts),
        ),
        engagement=Engagement(
            page_views=draw(st.integers(0, 10**6)),
            downloads=draw(st.integers(0, 1000)),
            email_opens=draw(st.integers(0, 1000)),
            email_clicks=draw(st.integers(0, 1000)),
            events_attended=draw(st.integers(0, 100)),
            last_engaged_at=draw(st.none() | instants),
        ),
        qualification=draw(
            st.none()
            | st.builds(Qualification, fit=short_texts, budget=short_texts, timeline=short_texts)
        ),
        disqualify_reason=draw(optional_texts),
        metadata=draw(json_objects),
        created_at=created,
        updated_at=created + draw(deltas),
    )


@st.composite
def contact_entities(draw: st.DrawFn) -> Any:
    """A ``Contact`` without an account link (the contract tests add accounts themselves)."""
    from crmcore.domain.contact import Channel, Contact, ContactRole, LifecycleStage
    from crmcore.domain.email import Email
    from crmcore.domain.funnel import FunnelJourney, FunnelStage
    from crmcore.domain.ids import ContactId, LeadId
    from crmcore.domain.phone import Phone

    created = draw(instants)
    stage = draw(st.sampled_from(FunnelStage))
    return Contact(
        id=ContactId(draw(st.uuids())),
        name=draw(person_names()),
        email=draw(st.none() | emails().map(lambda e: Email(e.lower()))),
        phone=draw(st.none() | e164s.map(Phone)),
        user_id=draw(st.none() | st.uuids().map(str)),
        role=draw(st.none() | st.sampled_from(ContactRole)),
        lifecycle=draw(st.sampled_from(LifecycleStage)),
        funnel=draw(st.just(FunnelJourney()) | st.just(FunnelJourney.start(stage, created))),
        preferred_channel=draw(st.none() | st.sampled_from(Channel)),
        attributes=draw(json_objects),
        source_lead_id=draw(st.none() | st.uuids().map(LeadId)),
        archived=draw(st.booleans()),
        created_at=created,
        updated_at=created + draw(deltas),
    )


@st.composite
def deal_entities(draw: st.DrawFn) -> Any:
    """A ``Deal`` with a consistent stage history (no account or contact link)."""
    from crmcore.domain.ids import DealId
    from crmcore.domain.money import Money
    from crmcore.domain.pipeline import DEFAULT_PROBABILITIES, Deal, DealStage, StageChange

    created = draw(instants)
    stages = draw(st.lists(st.sampled_from(DealStage), min_size=1, max_size=5))
    history, at, previous = [], created, None
    for stage in stages:
        history.append(StageChange(from_stage=previous, to_stage=stage, at=at))
        previous, at = stage, at + draw(deltas)
    return Deal(
        id=DealId(draw(st.uuids())),
        title=draw(short_texts.filter(str.strip)),
        amount=Money(draw(amounts), draw(currencies)),
        stage=stages[-1],
        probability=DEFAULT_PROBABILITIES[stages[-1]],
        expected_close=draw(st.none() | st.dates()),
        actual_close=draw(st.none() | st.dates()),
        owner=draw(optional_texts),
        lost_reason=draw(optional_texts),
        history=tuple(history),
        metadata=draw(json_objects),
        created_at=created,
        updated_at=at,
    )


# -- events --------------------------------------------------------------------------------


def _for_type(tp: Any) -> st.SearchStrategy[Any]:
    import enum
    import types
    import typing
    import uuid
    from datetime import date

    supertype = getattr(tp, "__supertype__", None)
    if supertype is not None:
        return _for_type(supertype)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_for_type(a) for a in typing.get_args(tp)))
    if tp is type(None):
        return st.none()
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    table: dict[Any, st.SearchStrategy[Any]] = {
        uuid.UUID: st.uuids(),
        str: short_texts,
        int: st.integers(-(2**31), 2**31),
        bool: st.booleans(),
        Decimal: amounts,
        datetime: instants,
        date: st.dates(),
    }
    return table[tp]


@st.composite
def event_envelopes(draw: st.DrawFn) -> Any:
    """An envelope of any registered event type with arbitrary valid field values."""
    import typing

    import attrs

    from crmcore.codec.schemas import load_catalogue
    from crmcore.domain.events import Envelope

    catalogue = load_catalogue()
    cls = draw(st.sampled_from(sorted(catalogue.values(), key=lambda c: c.TYPE)))
    hints = typing.get_type_hints(cls)
    values = {f.name: draw(_for_type(hints[f.name])) for f in attrs.fields(cls)}
    return Envelope(id=draw(st.uuids()), occurred_at=draw(instants), payload=cls(**values))

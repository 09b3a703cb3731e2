"""The one home of hypothesis strategies (STYLE habit 11)."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata, PhoneNumberType

from crmcore.domain.health import HealthInputs
from crmcore.domain.loyalty_metrics import CustomerFacts
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


# --- customer intelligence (issue 6) ---------------------------------------------------

#: The as-of day RFM histories are generated around.
RFM_AS_OF = datetime(2026, 3, 31, tzinfo=UTC).date()


@st.composite
def transaction_histories(
    draw: st.DrawFn, *, max_customers: int = 12, max_rows: int = 60
) -> list[tuple[str, datetime, Decimal]]:
    """``(customer, occurred_at, amount)`` facts around :data:`RFM_AS_OF`.

    Times cluster on the segment boundaries (29/30/59/60 days back, midnight, the day
    after ``as_of``) so the half-open intervals are exercised.
    """
    customers = [f"c{i:02d}" for i in range(draw(st.integers(1, max_customers)))]
    base = datetime(RFM_AS_OF.year, RFM_AS_OF.month, RFM_AS_OF.day, tzinfo=UTC)
    days_back = st.one_of(
        st.sampled_from([-1, 0, 1, 29, 30, 31, 58, 59, 60, 61]), st.integers(-3, 120)
    )
    seconds = st.one_of(st.sampled_from([0, 1, 86399]), st.integers(0, 86399))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(customers),
                days_back,
                seconds,
                st.decimals(min_value=-50, max_value=5000, places=2, allow_nan=False),
            ),
            max_size=max_rows,
        )
    )
    return [
        (c, base - timedelta(days=back) + timedelta(seconds=secs), amount)
        for c, back, secs, amount in rows
    ]


#: A small catalogue for filter properties: field name → type name.
FILTER_TEST_FIELDS = {
    "c.name": "string",
    "c.tier": "string",
    "c.spend": "number",
    "c.active": "bool",
    "c.seen_at": "datetime",
}
FILTER_NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)

_filter_strings = st.sampled_from(["gold", "silver", "Gold", "a%b", "x_y", "o'hara", "", "ol"])
_filter_numbers = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False)
_filter_instants = st.integers(-5, 60).map(lambda d: FILTER_NOW - timedelta(days=d))


def filter_values(kind: str) -> st.SearchStrategy[object]:
    """A record value of a field type (``None`` = null)."""
    base: st.SearchStrategy[object] = {
        "string": _filter_strings,
        "number": _filter_numbers,
        "bool": st.booleans(),
        "datetime": _filter_instants,
    }[kind]
    return st.one_of(st.none(), base)


def _json_value(kind: str) -> st.SearchStrategy[object]:
    if kind == "string":
        return _filter_strings
    if kind == "number":
        return _filter_numbers.map(str) | st.integers(-100, 100)
    if kind == "bool":
        return st.booleans()
    return st.one_of(
        _filter_instants.map(lambda d: d.isoformat()),
        st.integers(0, 40).map(lambda n: f"{n} days ago"),
    )


@st.composite
def filter_leaves(draw: st.DrawFn) -> dict[str, object]:
    """One well-typed comparison over :data:`FILTER_TEST_FIELDS`."""
    field = draw(st.sampled_from(sorted(FILTER_TEST_FIELDS)))
    kind = FILTER_TEST_FIELDS[field]
    ops = {
        "string": ["eq", "ne", "in", "contains", "is_null"],
        "number": ["eq", "ne", "lt", "le", "gt", "ge", "in", "between", "is_null"],
        "bool": ["eq", "ne", "is_null"],
        "datetime": ["eq", "ne", "lt", "le", "gt", "ge", "between", "is_null"],
    }[kind]
    op = draw(st.sampled_from(ops))
    value: object
    if op == "is_null":
        value = draw(st.booleans())
    elif op == "in":
        value = draw(st.lists(_json_value(kind), min_size=1, max_size=3))
    elif op == "between":
        if kind == "datetime" and draw(st.booleans()):
            value = f"last {draw(st.integers(1, 40))} days"
        else:
            value = [draw(_json_value(kind)), draw(_json_value(kind))]
    else:
        value = draw(_json_value(kind))
    return {"field": field, "op": op, "value": value}


filter_trees = st.recursive(
    filter_leaves(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(children, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        children.map(lambda x: {"not": x}),
    ),
    max_leaves=6,
)

filter_records = st.lists(
    st.fixed_dictionaries({f: filter_values(k) for f, k in FILTER_TEST_FIELDS.items()}),
    max_size=12,
)

# --------------------------------------------------------------------------- loyalty (C8)

_small = st.integers(min_value=0, max_value=4)


@st.composite
def customer_facts(draw: st.DrawFn) -> CustomerFacts:
    """Facts of one customer, small counts so that every ladder level is reachable."""
    return CustomerFacts(
        purchases=draw(_small),
        revenue=draw(st.decimals(min_value=0, max_value=10_000, places=2)),
        referral_invites=draw(_small),
        reviews=draw(_small),
        referred_friends_converted=draw(_small),
        partner_program=draw(st.booleans()),
        paying_customers_brought=draw(_small),
        advocacy=draw(_small),
        form_answers=draw(_small),
        last_nps=draw(st.none() | st.integers(min_value=0, max_value=10)),
        first_interaction=draw(st.none() | st.dates(date(2024, 1, 1), date(2026, 1, 1))),
        last_purchase=draw(st.none() | st.dates(date(2024, 1, 1), date(2026, 1, 1))),
        tags=draw(st.frozensets(st.sampled_from(["vip", "case_study", "b2b"]), max_size=3)),
    )


#: A change of facts as ``record_facts`` keyword arguments (counters add, values replace).
fact_changes = st.fixed_dictionaries(
    {},
    optional={
        "purchases": st.integers(0, 2),
        "referral_invites": st.integers(0, 1),
        "reviews": st.integers(0, 1),
        "referred_friends_converted": st.integers(0, 1),
        "partner_program": st.booleans(),
        "paying_customers_brought": st.integers(0, 2),
        "advocacy": st.integers(0, 1),
        "last_nps": st.integers(0, 10),
        "revenue": st.decimals(min_value=0, max_value=500, places=2),
    },
)


# --- event pipeline (C10) -----------------------------------------------------------

INTERACTION_TYPES = (
    "purchase",
    "email_opened",
    "email_clicked",
    "app_login",
    "review",
    "message",
    "form_answer",
    "billing",
    "usage_limit",
)

_feedback_texts = st.sampled_from(
    [
        "Great product, thank you!",
        "terrible support, very slow",
        "Отличный сервис, рекомендую",
        "Ужасно, не работает, проблема",
        "when is my delivery?",
        "not bad",
        "good but slow",
    ]
)


# --- CSV import (issue 5) -------------------------------------------------------------

_cell_text = st.text(
    string.ascii_letters + "абвгдеёжзийклмнопрстуфхцчшщыэюяАБВ" + " ,;\"'=+-@\n", max_size=20
)


@st.composite
def interaction_data(draw: st.DrawFn, kind: str) -> dict[str, object]:
    """A valid ``data`` object for one interaction type."""
    if kind == "purchase":
        amount = draw(st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False))
        return {"amount": str(amount), "currency": draw(st.sampled_from(["RUB", "USD"]))}
    if kind == "email_opened":
        return {"campaign_id": draw(st.sampled_from(["c1", "c2"]))}
    if kind == "email_clicked":
        return {"campaign_id": "c1", "url": "https://example.com/x"}
    if kind == "app_login":
        return {"device": draw(st.sampled_from(["ios", "android", "web"]))}
    if kind == "review":
        return {"text": draw(_feedback_texts), "rating": draw(st.integers(1, 5))}
    if kind == "message":
        return {"text": draw(_feedback_texts), "channel": "telegram"}
    if kind == "form_answer":
        return {"form_id": "nps", "answers": {"nps": draw(st.integers(0, 10)), "ok": True}}
    if kind == "usage_limit":
        limit = draw(st.integers(0, 1000))
        return {
            "feature": draw(st.sampled_from(["storage", "seats", "api calls"])),
            "value": draw(st.integers(0, 1200) | st.just(limit)),
            "limit": limit,
        }
    return {"kind": draw(st.sampled_from(["payment", "subscription_renewed"]))}


@st.composite
def customers(draw: st.DrawFn, *, complete: bool = False) -> dict[str, str]:
    """A customer block drawn from a small pool so that events share customers.

    ``complete`` gives every key of the pooled person, so matching cannot depend on order.
    """
    n = draw(st.integers(0, 4))
    person = {"user_id": f"u{n}", "email": f"person{n}@example.com", "phone": f"+7900123450{n}"}
    if complete:
        return person
    keys = draw(st.lists(st.sampled_from(sorted(person)), min_size=1, max_size=3, unique=True))
    return {k: person[k] for k in keys}


@st.composite
def raw_interactions(
    draw: st.DrawFn, *, kinds: tuple[str, ...] = INTERACTION_TYPES, complete: bool = False
) -> dict[str, object]:
    """A valid incoming event as a JSON-ready dict, with a unique-looking id."""
    kind = draw(st.sampled_from(kinds))
    at = draw(instants)
    offset = draw(st.sampled_from(["Z", "+03:00", "-05:00"]))
    stamp = at.replace(tzinfo=None).isoformat() + offset
    return {
        "id": f"evt-{draw(st.integers(0, 10**9))}",
        "type": kind,
        "occurred_at": stamp,
        "customer": draw(customers(complete=complete)),
        "data": draw(interaction_data(kind)),
    }


@st.composite
def contact_records(draw: st.DrawFn) -> dict[str, str]:
    """A valid contact as CSV cells: a name, a unique-ish e-mail, maybe a phone, free notes."""
    first = draw(st.sampled_from(["Ann", "Иван", "O'Neil", "=cmd", "-Zoe", "@Al", "Li Na"]))
    last = draw(st.sampled_from(["", "Lee", "Петрова", "+Plus", "Smith-Jones"]))
    email = draw(emails())
    phone = draw(st.one_of(st.just(""), ru_mobiles().map(lambda p: p[0])))
    notes = draw(_cell_text)
    return {"first_name": first, "last_name": last, "email": email, "phone": phone, "notes": notes}


email_like = st.one_of(
    emails(),
    st.text(string.ascii_letters + string.digits + "@._+-\"' ", max_size=30),
    st.from_regex(r"[a-z0-9.+-]{1,10}@[a-z0-9-]{1,10}(\.[a-z0-9-]{1,6}){1,3}", fullmatch=True),
)


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
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return st.lists(_for_type(item), max_size=3).map(tuple)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    table: dict[Any, st.SearchStrategy[Any]] = {
        uuid.UUID: st.uuids(),
        str: short_texts,
        int: st.integers(-(2**31), 2**31),
        bool: st.booleans(),
        float: st.floats(min_value=0, max_value=1, allow_nan=False),
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


# -- fast paths of the importer (checked against the libraries) -------------------------

_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
_SEPARATORS = ["", "", "", " ", "-", ".", "(", ")", "  ", " - "]


def _example_nsn(region: str, kind: int) -> str:
    example = phonenumbers.example_number_for_type(region, kind)
    return phonenumbers.national_significant_number(example) if example else "2125551234"


@st.composite
def phone_inputs(draw: st.DrawFn) -> tuple[str, str]:
    """``(text, default region)``: numbers of every region as operators type them — with
    and without ``+`` and country code, with the national or an international prefix,
    another country's code, mutated digits, random separators — plus digit noise."""
    region = draw(st.sampled_from(_REGIONS))
    meta = PhoneMetadata.metadata_for_region(region)
    assert meta is not None
    kind = draw(st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE]))
    nsn = list(_example_nsn(region, kind))
    for position, digit in draw(
        st.lists(st.tuples(st.integers(0, 20), st.sampled_from("0123456789")), max_size=3)
    ):
        nsn[position % len(nsn)] = digit
    tail = draw(st.sampled_from(["", "", "0", "12", "-1"]))
    digits = "".join(nsn[:-1] if tail == "-1" else [*nsn, *tail])
    code = str(meta.country_code)
    prefix = meta.national_prefix or ""
    idd = meta.preferred_international_prefix or "00"
    foreign = draw(st.sampled_from(_REGIONS))
    foreign_code = str(phonenumbers.country_code_for_region(foreign))
    text = draw(
        st.sampled_from(
            [
                f"+{code}{digits}",
                f"{prefix}{digits}",
                digits,
                f"{code}{digits}",
                f"{code}{prefix}{digits}",
                f"{idd}{code}{digits}",
                f"+{foreign_code}{digits}",
                f"+{code}{prefix}{digits}",
            ]
        )
        | st.text("0123456789", min_size=1, max_size=18)
    )
    seps = draw(st.lists(st.sampled_from(_SEPARATORS), min_size=len(text), max_size=len(text)))
    spaced = "".join(s + ch for s, ch in zip(seps, text, strict=True))
    return draw(st.sampled_from([spaced, f" {spaced} ", spaced.replace(" ", "")])), region


_TRICKY_EMAIL_PARTS = [
    "a", "Z", "0", "9", ".", "..", "-", "--", "_", "+", "@", '"', " ", "'", "!", "#",
    "xn--", "xn--p1ai", "é", "ß", "ｘ", "İ", "\u200b", "\u0301", "ru", "com", "c0m", "1",
    "test", "local", "localhost", "arpa", "invalid", "onion", "example",
]  # fmt: skip


@st.composite
def adversarial_emails(draw: st.DrawFn) -> str:
    """Addresses at the edges of the plain subset: odd characters, IDNA, special-use
    domains, labels and local parts around their length limits."""
    local_size = draw(st.sampled_from([1, 63, 64, 65]))
    label_size = draw(st.sampled_from([1, 62, 63, 64]))
    labels = draw(st.integers(1, 5))
    edge = "a" * local_size + "@" + ".".join(["b" * label_size] * labels) + ".com"
    return draw(
        st.lists(st.sampled_from(_TRICKY_EMAIL_PARTS), max_size=12).map("".join)
        | st.just(edge)
        | st.builds(lambda a, b: f"{a}@{b}", emails(), st.sampled_from(_TRICKY_EMAIL_PARTS))
        | st.builds(_insert, emails(), st.sampled_from(_TRICKY_EMAIL_PARTS), st.integers(0, 40))
    )


def _insert(text: str, part: str, at: int) -> str:
    cut = at % (len(text) + 1)
    return text[:cut] + part + text[cut:]


# --- incoming events at the edges (the accept fast path) --------------------------------

_EVENT_FIELDS = (
    "id", "type", "version", "occurred_at", "customer", "data", "source",
    "user_id", "email", "phone", "first_name", "last_name",
    "amount", "currency", "order_id", "campaign_id", "message_id", "url", "device",
    "text", "channel", "rating", "form_id", "answers", "kind", "reference", "nps", "extra",
    "feature", "value", "limit",
)  # fmt: skip
_ODD_VALUES: tuple[object, ...] = (
    None, "", "   ", " padded ", "x" * 41, "x" * 129, "x" * 201, " " + "y" * 128 + " ",
    "a\x00b", "tab\there", "line\nbreak", "\ufffd", "Ünïcödé", 0, 1, 2, 5, 6, 11, -1, 1.5,
    -0.0, 0.0, 10.0, True, False, 10**20, [], {}, {"nps": 3}, "1e3", " 5 ", "+5", "-1",
    "NaN", "Infinity", "0.10", "٣", "rub", " RUB ", "USD", "XXX", "2026-01-05T10:00:00z",
    "2026-01-05T10:00:00Z", " 2026-01-05T10:00:00+03:00 ", "2026-01-05T10:00:00+03:00:30",
    "2026-01-05T10:00:00.5-05:00", "2026-01-05T10:00:00", "0001-01-01T00:00:00+01:00",
    "ivan@EXAMPLE.com", " Ann@Example.ru ", "not-an-email", "a@b.test", "8 900 123-45-67",
    "+1 201 555 0123", "+7 (900) 123-45-67", "12", "payment", "refund", "gift",
    "purchase", "review", "message", "billing", "https://example.com/x", "usage_limit",
    2**53 - 1, 2**53, "7",
)  # fmt: skip


@st.composite
def edge_interactions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one to four fields deleted, added or set to odd values, at the
    top, in ``customer``, in ``data`` or in form answers: mostly invalid, sometimes an
    unusual valid form (padded texts, other times and offsets, amounts as integers)."""
    import copy

    raw: dict[str, Any] = copy.deepcopy(draw(raw_interactions()))
    for _ in range(draw(st.integers(1, 4))):
        places = [raw]
        for key in ("customer", "data"):
            if isinstance(raw.get(key), dict):
                places.append(raw[key])
        answers = raw.get("data", {}).get("answers") if isinstance(raw.get("data"), dict) else None
        if isinstance(answers, dict):
            places.append(answers)
        place = draw(st.sampled_from(places))
        key = draw(st.sampled_from([*place, *_EVENT_FIELDS]))
        if key in place and draw(st.booleans()):
            del place[key]
        else:
            place[key] = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))  # {} is shared
    return raw


@st.composite
def iso_times(draw: st.DrawFn) -> str:
    """``occurred_at`` texts in the forms senders write, canonical or not."""
    at = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    fraction = draw(st.sampled_from(["", ".000000", ".5", ".123456", ".120000", ".1234"]))
    offset = draw(
        st.sampled_from(
            ["+00:00", "-00:00", "Z", "z", "+03:00", "-05:30", "+14:00", "+0300", "+03:00:30", ""]
        )
    )
    sep = draw(st.sampled_from(["T", "t", " "]))
    pad = draw(st.sampled_from(["", " "]))
    return f"{pad}{at:%Y-%m-%d}{sep}{at:%H:%M:%S}{fraction}{offset}{pad}"


@st.composite
def pipeline_facts(draw: st.DrawFn) -> Any:
    """One contact's pipeline ``Fact`` list, in an arbitrary order, with repeats: a fact's
    time and value follow from its key (event id, kind, name), as they do when the same
    event is applied twice; times often tie, so the key breaks the order."""
    from crmcore.domain.facts import Fact, FactKind
    from crmcore.domain.ids import ContactId
    from crmcore.domain.money import Money
    from crmcore.domain.sentiment import Sentiment, SentimentLabel

    owner = ContactId(draw(st.uuids()))
    days = st.integers(0, 90).map(lambda d: datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=d))
    by_key: dict[tuple[str, FactKind, str], Fact] = {}
    out = []
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(FactKind))
        event_id = f"e{draw(st.integers(0, 9))}"
        value: Any = None
        if kind is FactKind.PURCHASE:
            name = ""
            value = Money(Decimal(draw(st.integers(0, 500))), "RUB")
        elif kind is FactKind.ENGAGEMENT:
            name = draw(st.sampled_from(["email_opened", "email_clicked", "app_login", "other"]))
        elif kind is FactKind.SENTIMENT:
            name = ""
            value = Sentiment(label=draw(st.sampled_from(SentimentLabel)), confidence=0.9)
        elif kind is FactKind.LOYALTY:
            name = draw(st.sampled_from(["nps", "ok", "public_review"]))
            value = draw(st.none() | st.booleans() | st.integers(0, 10) | st.sampled_from(["x"]))
        else:
            name = draw(
                st.sampled_from(["refund", "subscription_cancelled", "subscription_renewed"])
            )
        key = (event_id, kind, name)
        if key not in by_key:
            by_key[key] = Fact(
                contact_id=owner,
                event_id=event_id,
                kind=kind,
                name=name,
                value=value,
                occurred_at=draw(days),
            )
        out.append(by_key[key])
    return out


# --- hostile values (issue 21): the extremes a reader must turn into a row error --------

#: Amount text at and beyond money's bounds: exponents, hundreds of digits, too many
#: places, non-finite spellings, and plain valid ones.
hostile_amounts = st.one_of(
    st.sampled_from(
        ["1e30", "1e400", "-1e400", "9" * 400, "1e15", "999999999999999.9999", "0.00001"]
    ),
    st.sampled_from(["NaN", "Infinity", "-0", "1E-999999999", "", " ", "1,5"]),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

#: Instants at the ends of the calendar with offsets that push them out of range in UTC.
hostile_instants = st.builds(
    lambda year, sign, hours: (
        f"{year:04d}-{'01-01T00:00:00' if year < 5000 else '12-31T23:59:59'}{sign}{hours:02d}:00"
    ),
    st.sampled_from([1, 2, 9998, 9999]),
    st.sampled_from(["+", "-"]),
    st.integers(min_value=0, max_value=23),
)

#: Texts a CSV cell or JSON string may hold: control characters, formula starts,
#: line ends of every kind, lone surrogates (JSON only), and very long ones.
hostile_texts = st.one_of(
    st.sampled_from(["=1+1", "+cmd", "-2-3", "@SUM(A1)", "\tx", "\rx", "a\rb", 'q"uote']),
    st.text(max_size=20),
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n),
)

_hostile_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**4000, -(10**4000), 1e308, -1e308, 0.1]),
    st.sampled_from(["1e400", "NaN", "9" * 100]),
)


@st.composite
def hostile_filters(draw: st.DrawFn) -> object:
    """Filters at and beyond the DSL's bounds: extreme dates and numbers, deep ``not``
    chains, wide ``or`` lists, long and broken strings."""
    kind = draw(st.sampled_from(["date", "number", "string", "deep", "wide", "in"]))
    if kind == "date":
        return {
            "field": "behaviour.last_transaction_at",
            "op": draw(st.sampled_from(["lt", "gt", "eq"])),
            "value": draw(hostile_instants),
        }
    if kind == "number":
        return {"field": "behaviour.transactions", "op": "gt", "value": draw(_hostile_numbers)}
    if kind == "string":
        text = draw(st.one_of(hostile_texts, st.just("\ud800")))
        return {"field": "contact.user_id", "op": "eq", "value": text}
    leaf = {"field": "behaviour.transactions", "op": "ge", "value": 1}
    if kind == "deep":
        node: object = leaf
        for _ in range(draw(st.integers(min_value=1, max_value=200))):
            node = {"not": node}
        return node
    if kind == "wide":
        width = draw(st.integers(min_value=1, max_value=3_000))
        return {"or": [leaf] * width}
    width = draw(st.integers(min_value=1, max_value=3_000))
    return {"field": "contact.user_id", "op": "in", "value": ["u"] * width}


# --- reactions and health from facts (message bus) -------------------------------------

#: The day the reaction strategies' times are drawn around.
REACTIONS_NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

_reaction_times = st.integers(0, 60 * 24 * 90).map(
    lambda m: REACTIONS_NOW - timedelta(days=60) + timedelta(minutes=m)
)


def sentiments() -> st.SearchStrategy[Any]:
    """A classification of a review or message: any label, any confidence."""
    from crmcore.domain.sentiment import Sentiment, SentimentLabel

    return st.builds(
        Sentiment,
        label=st.sampled_from(SentimentLabel),
        confidence=st.floats(min_value=0.0, max_value=1.0),
    )


@st.composite
def domain_interactions(draw: st.DrawFn) -> Any:
    """A parsed ``Interaction`` of any type, with the awkward values the rules must read:
    amounts of zero and below, every billing kind, NPS answers that are booleans or text."""
    from crmcore.domain.email import Email
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
        UsageLimit,
    )
    from crmcore.domain.money import Money
    from crmcore.domain.phone import Phone

    kind = draw(st.sampled_from(InteractionType))
    details: Any
    if kind is InteractionType.PURCHASE:
        amount = draw(st.decimals(min_value=-50, max_value=500, places=2, allow_nan=False))
        details = Purchase(amount=Money(amount, "USD"))
    elif kind in (InteractionType.EMAIL_OPENED, InteractionType.EMAIL_CLICKED):
        details = EmailEngagement(campaign_id="c1")
    elif kind is InteractionType.APP_LOGIN:
        details = AppLogin(device="ios")
    elif kind in (InteractionType.REVIEW, InteractionType.MESSAGE):
        details = Feedback(text="some words")
    elif kind is InteractionType.FORM_ANSWER:
        nps = st.integers(0, 10) | st.booleans() | st.just("10") | st.none()
        answers = draw(st.fixed_dictionaries({}, optional={"nps": nps, "ok": st.booleans()}))
        details = FormAnswer(form_id="f1", answers=answers)
    elif kind is InteractionType.USAGE_LIMIT:
        counts = st.integers(0, 10)
        details = UsageLimit(feature="seats", value=draw(counts), limit=draw(counts))
    else:
        details = Billing(kind=draw(st.sampled_from(BillingKind)))
    n = draw(st.integers(0, 3))
    has_email, has_phone = draw(st.booleans()), draw(st.booleans())
    customer = Customer(
        user_id=f"u{n}",
        email=Email(f"person{n}@example.com") if has_email else None,
        phone=Phone(f"+7900123450{n}") if has_phone else None,
    )
    return Interaction(
        event_id=f"e{draw(st.integers(0, 99))}",
        type=kind,
        occurred_at=draw(_reaction_times),
        utc_offset=timedelta(0),
        customer=customer,
        details=details,
    )


@st.composite
def pipeline_knowledge(draw: st.DrawFn) -> Any:
    """What the pipeline knows of a customer (``crmcore.domain.insight.CustomerFacts``):
    a few purchases over a few days, a few logins and opens."""
    from crmcore.domain.insight import CustomerFacts as Known
    from crmcore.domain.money import Money

    purchases = draw(
        st.lists(
            st.tuples(
                _reaction_times,
                st.integers(0, 300).map(lambda a: Money(Decimal(a), "USD")),
            ),
            max_size=4,
        )
    )
    return Known(
        purchases=tuple(sorted(purchases, key=lambda p: p[0])),
        email_opens=draw(_small),
        email_clicks=draw(_small),
        logins=draw(_small),
    )


def insights() -> st.SearchStrategy[Any]:
    """A status and its reasons."""
    from crmcore.domain.insight import CustomerStatus, Insight

    return st.builds(
        Insight,
        status=st.sampled_from(CustomerStatus),
        reasons=st.lists(st.sampled_from(["came back", "burst", "cancelled"]), max_size=2).map(
            tuple
        ),
    )


@st.composite
def board_signals(draw: st.DrawFn) -> Any:
    """One customer's loyalty board signals, at distinct times (so "the latest" is one),
    around the days :func:`customer_facts` knows: paid purchases, refunds (amount <= 0),
    forms with and without an NPS, reviews."""
    from crmcore.domain.reactions import BoardSignal

    minutes = draw(st.lists(st.integers(0, 60 * 24 * 800), unique=True, max_size=8))
    start = datetime(2023, 12, 1, tzinfo=UTC)
    out = []
    for m in minutes:
        kind = draw(st.sampled_from(["purchase", "form", "review"]))
        at = start + timedelta(minutes=m)
        if kind == "purchase":
            amount = draw(st.decimals(min_value=-100, max_value=500, places=2, allow_nan=False))
            out.append(BoardSignal(at=at, amount=amount))
        elif kind == "form":
            out.append(BoardSignal(at=at, form=True, nps=draw(st.none() | st.integers(0, 10))))
        else:
            out.append(BoardSignal(at=at, review=True))
    return out


def fact_values(kind: Any) -> st.SearchStrategy[Any]:
    """A value a pipeline fact of ``kind`` (a ``FactKind``) holds."""
    from crmcore.domain.facts import FactKind
    from crmcore.domain.money import Money
    from crmcore.domain.sentiment import Sentiment, SentimentLabel

    if kind in (FactKind.PURCHASE, FactKind.BILLING):
        return st.builds(Money, amounts, st.sampled_from(["RUB", "USD", "EUR"])) | st.none()
    if kind is FactKind.SENTIMENT:
        return st.builds(
            Sentiment,
            label=st.sampled_from(SentimentLabel),
            confidence=st.floats(0, 1) | st.sampled_from([0, 1]),
        )
    return json_values | st.floats() | st.text(max_size=8)


# --- hostile input files: arbitrary bytes, and bytes that look like CSV or JSON lines ---
_csvish_tokens = st.sampled_from(
    [b",", b";", b"\t", b"|", b'"', b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf",
     b"email", b"user_id", b"name", b"external_id", b"customer_id", b"occurred_at", b"amount",
     b"a@b.ru", b"1e3", b"-5", b"{", b"}", b"[", b"]", b":", b'"type"', b"null", b"\xd0\x98"]
)  # fmt: skip
hostile_files = st.one_of(
    st.binary(max_size=600),
    st.lists(_csvish_tokens | st.binary(max_size=4), max_size=80).map(b"".join),
)

# --- domain rules (issue 22) --------------------------------------------------------------


def health_inputs(now: datetime) -> st.SearchStrategy[HealthInputs]:
    """Health inputs around ``now``: counts across every factor's range and clamp."""
    days = st.integers(0, 60).map(lambda d: timedelta(days=d))
    return st.builds(
        HealthInputs,
        active_days_30=st.integers(0, 30),
        features_used=st.frozensets(st.sampled_from(["a", "b", "c", "d"])),
        key_features=st.frozensets(st.sampled_from(["a", "b", "c"])),
        engagement_30=st.integers(0, 15),
        tickets=st.integers(0, 12),
        unresolved_tickets=st.integers(0, 5),
        nps=st.none() | st.integers(0, 10),
        negative_feedback=st.booleans(),
        last_active_at=st.none() | days.map(lambda d: now - d),
        renewal_at=st.none() | days.map(lambda d: now + d),
    )


def scoring_leads(base: Any, now: datetime) -> st.SearchStrategy[Any]:
    """``base`` (a Lead) with scoring inputs across every component's points and beyond."""
    from crmcore.domain.lead import Engagement, Firmographics

    firmographics = st.builds(
        Firmographics,
        company_size=st.none() | st.integers(0, 1500),
        industry=st.none() | st.sampled_from(["Education", " finance", "Retail", "software"]),
        budget=st.none() | st.integers(0, 60000).map(Decimal),
    )
    engagement = st.builds(
        Engagement,
        page_views=st.integers(0, 60),
        downloads=st.integers(0, 6),
        email_opens=st.integers(0, 25),
        email_clicks=st.integers(0, 8),
        events_attended=st.integers(0, 4),
        last_engaged_at=st.none() | st.integers(-5, 200).map(lambda d: now - timedelta(days=d)),
    )
    titles = st.none() | st.sampled_from(
        ["", "CEO", "Head of Sales", "VP Marketing", "Sales manager", "intern", "Team lead"]
    )
    return st.builds(
        lambda title, firm, eng: attrs.evolve(
            base, job_title=title, firmographics=firm, engagement=eng
        ),
        titles,
        firmographics,
        engagement,
    )


# Duplicate detection (issue 18): comparison vectors and Fellegi-Sunter models.
_probabilities = st.floats(min_value=0.05, max_value=0.95, allow_nan=False)


@st.composite
def fs_models(draw: st.DrawFn, *, width: int | None = None) -> Any:
    """A Fellegi-Sunter model with 1-5 fields of 2-5 levels."""
    from crmcore.domain.duplicates import FellegiSunter, FieldWeights

    count = width if width is not None else draw(st.integers(1, 5))
    fields = []
    for i in range(count):
        levels = draw(st.integers(2, 5))
        m = [draw(_probabilities) for _ in range(levels)]
        u = [draw(_probabilities) for _ in range(levels)]
        fields.append(
            FieldWeights(
                name=f"f{i}",
                m=tuple(v / sum(m) for v in m),
                u=tuple(v / sum(u) for v in u),
            )
        )
    return FellegiSunter(prior=draw(_probabilities), fields=tuple(fields))


@st.composite
def comparison_vectors(draw: st.DrawFn, model: Any) -> tuple[int, ...]:
    """A comparison vector that fits ``model`` (-1 = a value missing)."""
    return tuple(draw(st.integers(-1, f.levels - 1)) for f in model.fields)


@st.composite
def vector_counts(draw: st.DrawFn, model: Any) -> dict[tuple[int, ...], int]:
    """Observed comparison vectors of ``model``'s shape and how often each occurs."""
    return draw(
        st.dictionaries(comparison_vectors(model), st.integers(1, 1000), min_size=1, max_size=30)
    )


#: Blocking keys of a few records: small alphabets so that records share keys.
blocking_keys = st.lists(st.lists(st.sampled_from("abcdefg"), max_size=3), max_size=25)
# --- analytics (issue 19) ------------------------------------------------------------


@st.composite
def attribution_paths(draw: st.DrawFn, *, channels: str = "abcdef") -> Any:
    """Aggregated attribution paths (ChannelAttribution layout) over ``channels``."""
    from crmcore.domain.attribution import PathRow

    rows = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(channels), min_size=1, max_size=6),
                st.integers(0, 20),
                st.integers(0, 20),
                st.integers(0, 5000),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return [
        PathRow(
            channels=tuple(path),
            conversions=float(conv),
            value=float(value) if conv else 0.0,
            nulls=float(nulls),
        )
        for path, conv, nulls, value in rows
    ]

"""The one home of hypothesis strategies (STYLE habit 11)."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

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

"""The one home of hypothesis strategies (STYLE habit 11)."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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

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


# --- CSV import (issue 5) -------------------------------------------------------------

_cell_text = st.text(
    string.ascii_letters + "абвгдеёжзийклмнопрстуфхцчшщыэюяАБВ" + " ,;\"'=+-@\n", max_size=20
)


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

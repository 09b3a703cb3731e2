"""Fast paths for well-formed events that answer exactly as the full validator does.

:func:`~crmcore.domain.interactions.parse_interaction` collects every problem of an event
under its JSON path and builds an :class:`Interaction`; accepting then writes its
canonical JSON (:meth:`Interaction.to_json`). That costs about 40 µs an event, most of it
spent on the general case. :func:`accept_fast` is the same rules compiled by hand for the
usual case: exact ``dict``/``str``/``int`` types, no problem anywhere. It goes straight
from the input to the canonical JSON, its text and the event's UTC time (a few µs),
reusing the normalised form of customers, e-mails, phones and amounts it has seen.
Whenever anything is unusual (an error, a subclass, an explicit ``null``, a float amount,
a form the published schemas refuse) it answers ``None`` and the full validator decides,
so errors and their paths come from one place only.
:func:`canonical_interaction` reads back the canonical JSON accepting stored, without
checking every rule again (the worker's side; ``parse_interaction(trusted=True)`` is the
general path). ``tests/unit/test_interactions_fast.py`` compares each with its general
path on generated and broken events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from returns.result import Success

from crmcore.codec.email_fast import fast_email
from crmcore.codec.jsontext import quote as _quoted
from crmcore.codec.phone_fast import fast_e164
from crmcore.domain.email import Email
from crmcore.domain.inbox import AcceptedEvent
from crmcore.domain.interactions import (
    _CONTROL,
    _CUSTOMER,
    _DATA,
    _TOP,
    MAX_ANSWERS,
    MAX_COUNT,
    MAX_ID,
    MAX_SHORT,
    MAX_TEXT,
    SCHEMA_VERSION,
    AppLogin,
    Billing,
    BillingKind,
    Customer,
    Details,
    EmailEngagement,
    Feedback,
    FormAnswer,
    Interaction,
    InteractionType,
    Purchase,
    UsageLimit,
    _Check,
    _money,
    _parse_email,
    _parse_phone,
)
from crmcore.domain.money import Money
from crmcore.domain.phone import Phone

_CACHE_LIMIT = 65_536
_new_event = tuple.__new__  # a named tuple built without its Python-level ``__new__``
_BILLING_KINDS = frozenset(k.value for k in BillingKind)
_EMPTY: dict[str, Any] = {}
#: What the published schemas allow for amounts and currencies (the full validator is
#: more lenient: ``1e3``, `` rub ``); this path takes only what both accept.
_AMOUNT = re.compile(r"\s*\+?\d+(\.\d+)?\s*")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_MAX_AMOUNT = 40


class _Slow(Exception):
    """The event needs the full validator (it may be invalid, or just unusual)."""


class _Absent:
    """The value of a field that is not there (an explicit ``null`` is another thing)."""


_ABSENT: Any = _Absent()


def _text(value: object, limit: int) -> str | None:
    """:meth:`_Check.text` of a valid value: stripped, ``None`` when absent or blank.

    Stricter than the full validator where the schemas are: an explicit ``null`` and a
    value longer than ``limit`` before stripping go to the full validator.
    """
    if value is _ABSENT:
        return None
    if type(value) is not str or len(value) > limit:
        raise _Slow
    text = value.strip()
    if not text:
        return None
    if not (text.isascii() and text.isprintable()) and _CONTROL.search(text) is not None:
        raise _Slow
    return text


def _required(value: object, limit: int = MAX_ID) -> str:
    """A text that must be there and not blank (the schemas' ``minLength``, ``\\S``)."""
    text = _text(value, limit)
    if text is None:
        raise _Slow
    return text


def _ident(value: object) -> str | None:
    """An optional identifier: absent, or a non-blank text (the schemas' ``_ID``)."""
    return None if value is _ABSENT else _required(value)


def _memo(compute: Callable[[str, str], str | None]) -> Callable[[str, str], str]:
    """``compute`` remembered for valid values (a stream repeats its customers)."""
    seen: dict[tuple[str, str], str] = {}

    def lookup(raw: str, region: str) -> str:
        key = (raw, region)
        hit = seen.get(key)
        if hit is None:
            hit = compute(raw, region)
            if hit is None:
                raise _Slow
            if len(seen) >= _CACHE_LIMIT:
                seen.clear()
            seen[key] = hit
        return hit

    return lookup


def _email_of(raw: str, region: str) -> str | None:
    hit = fast_email(raw)
    if hit is not None:
        return hit
    parsed = _parse_email(raw)
    return parsed.unwrap().value if isinstance(parsed, Success) else None


def _phone_of(raw: str, region: str) -> str | None:
    hit = fast_e164(raw, region)
    if hit is not None:
        return hit
    parsed = _parse_phone(raw, region)
    return parsed.unwrap().e164 if isinstance(parsed, Success) else None


_email = _memo(_email_of)
_phone = _memo(_phone_of)
_MONEY: dict[tuple[str | int, str], tuple[str, str]] = {}


def _amount(data: dict[str, Any], *, required: bool) -> tuple[str, str] | None:
    """The canonical amount and currency, as ``_money`` gives them (``positive``)."""
    amount, currency = data.get("amount", _ABSENT), data.get("currency", _ABSENT)
    if amount is _ABSENT and currency is _ABSENT and not required:
        return None
    # floats (and -0.0 == 0.0) are not remembered: the full validator takes them
    if (type(amount) is not str and type(amount) is not int) or type(currency) is not str:
        raise _Slow
    key = (amount, currency)
    hit = _MONEY.get(key)
    if hit is None:
        if (
            type(amount) is str and (len(amount) > _MAX_AMOUNT or _AMOUNT.fullmatch(amount) is None)
        ) or _CURRENCY.fullmatch(currency) is None:
            raise _Slow
        money = _money(_Check(), data, required=required, positive=True)
        if money is None:
            raise _Slow
        if len(_MONEY) >= _CACHE_LIMIT:
            _MONEY.clear()
        hit = _MONEY[key] = (str(money.amount), money.currency)
    return hit


def _flat_text(out: dict[str, Any]) -> str:
    """``json.dumps(out)``, written directly for this module's own field names mapped to
    texts and integers (``json.dumps`` itself for anything else)."""
    parts = []
    for key, value in out.items():
        if type(value) is str:
            parts.append(f'"{key}": {_quoted(value)}')
        elif type(value) is int:
            parts.append(f'"{key}": {value}')
        else:
            return json.dumps(out)
    return "{" + ", ".join(parts) + "}"


def _put(out: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        out[key] = value


def _customer(raw: object, region: str) -> tuple[dict[str, Any], str]:
    """The canonical customer and its JSON text, remembered by its fields' values
    (customers come back)."""
    if type(raw) is not dict:
        raise _Slow
    key = (region, *raw.items())
    hit = _CUSTOMERS.get(key)
    if hit is None:
        customer = _new_customer(raw, region)
        if len(_CUSTOMERS) >= _CACHE_LIMIT:
            _CUSTOMERS.clear()
        hit = _CUSTOMERS[key] = (customer, _flat_text(customer))
    return dict(hit[0]), hit[1]


_CUSTOMERS: dict[tuple[object, ...], tuple[dict[str, Any], str]] = {}


def _new_customer(raw: dict[str, Any], region: str) -> dict[str, Any]:
    if not raw.keys() <= _CUSTOMER:
        raise _Slow
    g = raw.get
    user_id = _ident(g("user_id", _ABSENT))
    email = _text(g("email", _ABSENT), 320)
    phone = _text(g("phone", _ABSENT), 40)
    first = _text(g("first_name", _ABSENT), 100)
    last = _text(g("last_name", _ABSENT), 100)
    out: dict[str, Any] = {}
    if user_id is not None:
        out["user_id"] = user_id
    if email is not None:
        out["email"] = _email(email, "")
    if phone is not None:
        out["phone"] = _phone(phone, region)
    if not out:
        raise _Slow  # needs at least one key
    if first:
        out["first_name"] = first
    if last:
        out["last_name"] = last
    return out


def _purchase(data: dict[str, Any]) -> dict[str, Any]:
    money = _amount(data, required=True)
    assert money is not None
    out: dict[str, Any] = {"amount": money[0], "currency": money[1]}
    _put(out, "order_id", _ident(data.get("order_id", _ABSENT)))
    return out


def _email_opened(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "campaign_id", _ident(data.get("campaign_id", _ABSENT)))
    _put(out, "message_id", _ident(data.get("message_id", _ABSENT)))
    return out


def _email_clicked(data: dict[str, Any]) -> dict[str, Any]:
    out = _email_opened(data)
    out["url"] = _required(data.get("url", _ABSENT), 2048)
    return out


def _app_login(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _put(out, "device", _text(data.get("device", _ABSENT), MAX_SHORT))
    return out


def _feedback(data: dict[str, Any], *, channel_required: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"text": _required(data.get("text", _ABSENT), MAX_TEXT)}
    channel = _text(data.get("channel", _ABSENT), 50)
    if channel is None and channel_required:
        raise _Slow
    _put(out, "channel", channel)
    rating = data.get("rating", _ABSENT)
    if rating is not _ABSENT:
        if type(rating) is not int or not 1 <= rating <= 5:
            raise _Slow
        out["rating"] = rating
    return out


def _review(data: dict[str, Any]) -> dict[str, Any]:
    return _feedback(data, channel_required=False)


def _message(data: dict[str, Any]) -> dict[str, Any]:
    return _feedback(data, channel_required=True)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _form_answer(data: dict[str, Any]) -> dict[str, Any]:
    form_id = _required(data.get("form_id", _ABSENT))
    answers = data.get("answers")
    if type(answers) is not dict or len(answers) > MAX_ANSWERS:
        raise _Slow
    for key, answer in answers.items():
        if (
            type(key) is not str
            or not 0 < len(key) <= 100
            or type(answer) not in _SCALARS
            or (type(answer) is str and len(answer) > MAX_TEXT)
        ):
            raise _Slow
    if "nps" in answers:
        nps = answers["nps"]
        if type(nps) is not int or not 0 <= nps <= 10:
            raise _Slow
    return {"form_id": form_id, "answers": dict(answers)}


def _billing(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind")
    if type(kind) is not str or kind not in _BILLING_KINDS:
        raise _Slow
    out: dict[str, Any] = {"kind": kind}
    money = _amount(data, required=False)
    if money is not None:
        out["amount"], out["currency"] = money
    _put(out, "reference", _ident(data.get("reference", _ABSENT)))
    return out


def _count(value: object) -> int:
    """A usage count: an exact ``int`` from 0 to ``MAX_COUNT``."""
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        raise _Slow
    return value


def _usage_limit(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "feature": _required(data.get("feature", _ABSENT)),
        "value": _count(data.get("value", _ABSENT)),
        "limit": _count(data.get("limit", _ABSENT)),
    }


_Details = Callable[[dict[str, Any]], dict[str, Any]]
#: Per event type: its name, its ``data`` rules, and the fields ``data`` may have.
_KINDS: dict[object, tuple[str, _Details, frozenset[str]]] = {
    kind.value: (kind.value, details, _DATA[kind])
    for kind, details in (
        (InteractionType.PURCHASE, _purchase),
        (InteractionType.EMAIL_OPENED, _email_opened),
        (InteractionType.EMAIL_CLICKED, _email_clicked),
        (InteractionType.APP_LOGIN, _app_login),
        (InteractionType.REVIEW, _review),
        (InteractionType.MESSAGE, _message),
        (InteractionType.FORM_ANSWER, _form_answer),
        (InteractionType.BILLING, _billing),
        (InteractionType.USAGE_LIMIT, _usage_limit),
    )
}


#: ``occurred_at`` already as :meth:`datetime.isoformat` writes it (ASCII digits, seconds,
#: microseconds or none, a ``±HH:MM`` offset), except the three forms it writes otherwise:
#: a ``.000000`` fraction, a ``-00:00`` offset and hour 24.
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?!24)[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.(?!000000)[0-9]{6})?(?!-00:00)[+-][0-9]{2}:[0-9]{2}"
)


def _time(value: object) -> tuple[datetime, str]:
    """The UTC time and the canonical local text of ``occurred_at`` (``_parse_time``).

    The offset is fixed, so the sender's local time read back from UTC
    (:attr:`Interaction.local_time`) is the parsed time itself, with the same text: the
    input when it is written that way already (``isoformat`` costs 1-2 µs).
    """
    if type(value) is not str or len(value) > 40:
        raise _Slow
    if _ISO.fullmatch(value) is not None:
        at = datetime.fromisoformat(value)
        return at.astimezone(UTC), value
    at = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if at.tzinfo is None:
        raise _Slow
    return at.astimezone(UTC), at.isoformat()


def accept_fast(raw: object, region: str) -> AcceptedEvent | None:
    """What accepting ``raw`` stores, when it is a plainly valid event; else ``None``.

    Equal to ``parse_interaction(raw, region=region)`` followed by ``to_json()`` whenever
    it answers; ``None`` means only "ask the full validator".
    """
    try:
        if type(raw) is not dict or not raw.keys() <= _TOP:
            return None
        spec = _KINDS.get(raw.get("type"))
        version = raw.get("version", SCHEMA_VERSION)
        if spec is None or type(version) is not int or version != SCHEMA_VERSION:
            return None
        kind, details, fields = spec
        event_id = _required(raw.get("id", _ABSENT))
        utc, local = _time(raw.get("occurred_at"))
        source = _text(raw.get("source", _ABSENT), MAX_SHORT)
        customer, customer_text = _customer(raw.get("customer"), region)
        data = raw.get("data", _EMPTY)
        if type(data) is not dict or not data.keys() <= fields:
            return None
        canonical = details(data)
        payload: dict[str, Any] = {
            "id": event_id,
            "type": kind,
            "version": SCHEMA_VERSION,
            "occurred_at": local,
            "customer": customer,
            "data": canonical,
        }
        text = (
            f'{{"id": {_quoted(event_id)}, "type": "{kind}", "version": {SCHEMA_VERSION}, '
            f'"occurred_at": {_quoted(local)}, "customer": {customer_text}, '
            f'"data": {_flat_text(canonical)}'
        )
        if source is not None:
            payload["source"] = source
            text += f', "source": {_quoted(source)}'
        return _new_event(AcceptedEvent, (event_id, kind, payload, utc, text + "}"))
    except (_Slow, ValueError, TypeError, OverflowError, ArithmeticError):
        return None


# --- reading canonical JSON back ------------------------------------------------------

_TYPES: dict[object, InteractionType] = {t.value: t for t in InteractionType}
_read_time = datetime.fromisoformat


def canonical_interaction(raw: object) -> Interaction | None:
    """The interaction of JSON :meth:`Interaction.to_json` wrote, built without checking
    every rule again (``tests/unit/test_interactions_fast.py`` keeps it equal to
    ``parse_interaction(raw, trusted=True)``); ``None`` when ``raw`` does not have that
    shape, and ``parse_interaction`` decides."""
    try:
        if type(raw) is not dict or raw.get("version") != SCHEMA_VERSION:
            return None
        kind = _TYPES[raw["type"]]
        event_id, customer, data = raw["id"], raw["customer"], raw["data"]
        if len(raw) != (7 if "source" in raw else 6):  # the six read here, and "source"
            return None  # a key not in _TOP
        stamp = _read_time(raw["occurred_at"])
        offset: timedelta | None
        if stamp.tzinfo is UTC:  # the common case, without two calls into the zone
            at, offset = stamp, _NO_OFFSET
        else:
            offset = stamp.utcoffset()
            at = stamp.astimezone(UTC)
        if (
            offset is None
            or type(customer) is not dict
            or not customer.keys() <= _CUSTOMER
            or type(data) is not dict
            or not data.keys() <= _DATA[kind]
        ):
            return None
        details = _CANONICAL_DETAILS[kind](data)
        if details is None:
            return None
        get = customer.get
        return Interaction(
            event_id=event_id,
            type=kind,
            occurred_at=at,
            utc_offset=offset,
            customer=_canonical_customer(
                get("user_id"),
                get("email"),
                get("phone"),
                get("first_name", ""),
                get("last_name", ""),
            ),
            details=details,
            source=raw.get("source"),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


_NO_OFFSET = timedelta(0)

#: Customers and amounts of canonical JSON, by their text: a stream repeats the same
#: customers, and building them again costs more than finding them (all immutable).
_READ_CUSTOMERS: dict[tuple[str | None, str | None, str | None, str, str], Customer] = {}
_READ_AMOUNTS: dict[tuple[str, str], Money] = {}
_REMEMBERED = 65_536


def _canonical_customer(
    user_id: Any, email: Any, phone: Any, first_name: Any, last_name: Any
) -> Customer:
    """The customer of canonical JSON's fields; remembered when every one is text (or
    absent), so that equal keys always mean equal values."""
    if (
        (user_id is None or type(user_id) is str)
        and (email is None or type(email) is str)
        and (phone is None or type(phone) is str)
        and type(first_name) is str
        and type(last_name) is str
    ):
        key = (user_id, email, phone, first_name, last_name)
        found = _READ_CUSTOMERS.get(key)
        if found is None:
            if len(_READ_CUSTOMERS) >= _REMEMBERED:
                _READ_CUSTOMERS.clear()
            found = _READ_CUSTOMERS[key] = _customer_of(*key)
        return found
    return _customer_of(user_id, email, phone, first_name, last_name)


def _customer_of(user_id: Any, email: Any, phone: Any, first_name: Any, last_name: Any) -> Customer:
    return Customer(
        user_id=user_id,
        email=None if email is None else Email(email),
        phone=None if phone is None else Phone(phone),
        first_name=first_name,
        last_name=last_name,
    )


def _canonical_money(data: Mapping[str, Any]) -> Money | None:
    text, currency = data["amount"], data["currency"]
    if type(text) is str and type(currency) is str:  # remembered, as customers are
        found = _READ_AMOUNTS.get((text, currency))
        if found is not None:
            return found
    amount = Decimal(text)
    if not amount.is_finite():
        return None
    money = Money(amount, currency)
    if type(text) is str and type(currency) is str:
        if len(_READ_AMOUNTS) >= _REMEMBERED:
            _READ_AMOUNTS.clear()
        _READ_AMOUNTS[(text, currency)] = money
    return money


def _canonical_purchase(data: Mapping[str, Any]) -> Details | None:
    money = _canonical_money(data)
    if money is None:
        return None
    return Purchase(amount=money, order_id=data.get("order_id"))


def _canonical_opened(data: Mapping[str, Any]) -> Details:
    return EmailEngagement(campaign_id=data.get("campaign_id"), message_id=data.get("message_id"))


def _canonical_clicked(data: Mapping[str, Any]) -> Details:
    return EmailEngagement(
        campaign_id=data.get("campaign_id"), message_id=data.get("message_id"), url=data["url"]
    )


def _canonical_login(data: Mapping[str, Any]) -> Details:
    return AppLogin(device=data.get("device"))


def _canonical_feedback(data: Mapping[str, Any]) -> Details:
    return Feedback(text=data["text"], channel=data.get("channel"), rating=data.get("rating"))


def _canonical_form_answer(data: Mapping[str, Any]) -> Details:
    return FormAnswer(form_id=data["form_id"], answers=dict(data["answers"]))


def _canonical_billing(data: Mapping[str, Any]) -> Details | None:
    money = _canonical_money(data) if "amount" in data else None
    if "amount" in data and money is None:
        return None
    return Billing(kind=BillingKind(data["kind"]), amount=money, reference=data.get("reference"))


def _canonical_usage_limit(data: Mapping[str, Any]) -> Details:
    return UsageLimit(feature=data["feature"], value=data["value"], limit=data["limit"])


#: The details of canonical JSON's ``data``, per event type (``None``: not canonical).
_CANONICAL_DETAILS: dict[InteractionType, Callable[[Mapping[str, Any]], Details | None]] = {
    InteractionType.PURCHASE: _canonical_purchase,
    InteractionType.EMAIL_OPENED: _canonical_opened,
    InteractionType.EMAIL_CLICKED: _canonical_clicked,
    InteractionType.APP_LOGIN: _canonical_login,
    InteractionType.REVIEW: _canonical_feedback,
    InteractionType.MESSAGE: _canonical_feedback,
    InteractionType.FORM_ANSWER: _canonical_form_answer,
    InteractionType.BILLING: _canonical_billing,
    InteractionType.USAGE_LIMIT: _canonical_usage_limit,
}

"""Incoming interaction events: types, validation with JSON paths, normalisation.

An interaction is what a neighbour system tells us happened to a customer: a purchase,
an e-mail opened or clicked, an app login, a review, a message, a form answer, a billing
event, a usage count against a plan limit. :func:`parse_interaction` checks one JSON
object against the rules of its type (the same rules the published JSON Schemas state),
collects *every* problem as a :class:`FieldError` whose ``field`` is a JSON path
(``$.customer.phone``), and normalises what it accepts: phones to E.164, e-mails,
timestamps to UTC with the original offset kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.email import Email
from crmcore.domain.errors import FieldError
from crmcore.domain.events import DomainEvent, event_type
from crmcore.domain.ids import ActivityId, ContactId
from crmcore.domain.money import Money
from crmcore.domain.phone import DEFAULT_REGION, Phone

#: The schema version this code reads and writes; older versions stay readable.
SCHEMA_VERSION = 1
MAX_ID = 128
MAX_SHORT = 200
MAX_TEXT = 10_000
MAX_ANSWERS = 100
#: The largest usage count an event may carry (the largest integer JSON keeps exact).
MAX_COUNT = 2**53 - 1

Scalar = str | int | float | bool | None


class InteractionType(StrEnum):
    """The kinds of interaction the pipeline accepts."""

    PURCHASE = "purchase"
    EMAIL_OPENED = "email_opened"
    EMAIL_CLICKED = "email_clicked"
    APP_LOGIN = "app_login"
    REVIEW = "review"
    MESSAGE = "message"
    FORM_ANSWER = "form_answer"
    BILLING = "billing"
    USAGE_LIMIT = "usage_limit"


class BillingKind(StrEnum):
    """What a billing system reports."""

    PAYMENT = "payment"
    REFUND = "refund"
    SUBSCRIPTION_RENEWED = "subscription_renewed"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled"
    INVOICE_OVERDUE = "invoice_overdue"


@attrs.frozen(kw_only=True)
class Customer:
    """Who the interaction is about, as the sender knows them (at least one key)."""

    user_id: str | None = None
    email: Email | None = None
    phone: Phone | None = None
    first_name: str = ""
    last_name: str = ""


@attrs.frozen(kw_only=True)
class Purchase:
    """A paid order. ``channel`` and ``product`` (where and what) come only from an import
    of transactions: purchase events do not carry them."""

    amount: Money
    order_id: str | None = None
    channel: str | None = None
    product: str | None = None


@attrs.frozen(kw_only=True)
class EmailEngagement:
    """An e-mail opened, or a link in it clicked (``url``)."""

    campaign_id: str | None = None
    message_id: str | None = None
    url: str | None = None


@attrs.frozen(kw_only=True)
class AppLogin:
    """A login to the customer's app."""

    device: str | None = None


@attrs.frozen(kw_only=True)
class Feedback:
    """A review or a message: free text from the customer."""

    text: str
    channel: str | None = None
    rating: int | None = None


@attrs.frozen(kw_only=True)
class FormAnswer:
    """Answers to a form (Typeform, Google Forms): facts for the loyalty board."""

    form_id: str
    answers: Mapping[str, Scalar] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Billing:
    """A payment-gateway or billing event."""

    kind: BillingKind
    amount: Money | None = None
    reference: str | None = None


@attrs.frozen(kw_only=True)
class UsageLimit:
    """A product's usage of a plan limit: ``feature`` (what is limited, e.g. ``storage``),
    ``value`` used so far and the ``limit`` the plan allows."""

    feature: str
    value: int
    limit: int


Details = Purchase | EmailEngagement | AppLogin | Feedback | FormAnswer | Billing | UsageLimit


@attrs.frozen(kw_only=True)
class Interaction:
    """One validated, normalised interaction event."""

    event_id: str
    type: InteractionType
    occurred_at: datetime
    utc_offset: timedelta
    customer: Customer
    details: Details
    source: str | None = None

    @property
    def local_time(self) -> datetime:
        """``occurred_at`` in the sender's own offset."""
        from datetime import timezone

        return self.occurred_at.astimezone(timezone(self.utc_offset))

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form; parsing it gives this interaction back."""
        customer: dict[str, Any] = {}
        c = self.customer
        if c.user_id is not None:
            customer["user_id"] = c.user_id
        if c.email is not None:
            customer["email"] = c.email.value
        if c.phone is not None:
            customer["phone"] = c.phone.e164
        if c.first_name:
            customer["first_name"] = c.first_name
        if c.last_name:
            customer["last_name"] = c.last_name
        out: dict[str, Any] = {
            "id": self.event_id,
            "type": self.type.value,
            "version": SCHEMA_VERSION,
            "occurred_at": self.local_time.isoformat(),
            "customer": customer,
            "data": _details_json(self.details),
        }
        if self.source is not None:
            out["source"] = self.source
        return out


def _details_json(details: Details) -> dict[str, Any]:
    out: dict[str, Any] = {}
    match details:
        case Purchase(amount=amount, order_id=order_id):
            out = {"amount": str(amount.amount), "currency": amount.currency}
            _put(out, "order_id", order_id)
        case EmailEngagement(campaign_id=campaign, message_id=message, url=url):
            _put(out, "campaign_id", campaign)
            _put(out, "message_id", message)
            _put(out, "url", url)
        case AppLogin(device=device):
            _put(out, "device", device)
        case Feedback(text=text, channel=channel, rating=rating):
            out = {"text": text}
            _put(out, "channel", channel)
            _put(out, "rating", rating)
        case FormAnswer(form_id=form_id, answers=answers):
            out = {"form_id": form_id, "answers": dict(answers)}
        case Billing(kind=kind, amount=amount, reference=reference):
            out = {"kind": kind.value}
            if amount is not None:
                out["amount"] = str(amount.amount)
                out["currency"] = amount.currency
            _put(out, "reference", reference)
        case UsageLimit(feature=feature, value=value, limit=limit):
            out = {"feature": feature, "value": value, "limit": limit}
    return out


def _put(out: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        out[key] = value


# --- validation -------------------------------------------------------------------


class _Check:
    """Collects field errors under JSON paths."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, value: object, reason: str) -> None:
        self.errors.append(FieldError(field=path, value=_show(value), reason=reason))

    def obj(self, path: str, value: object, allowed: frozenset[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, dict) and not isinstance(value, Mapping):
            self.fail(path, value, f"must be an object, got {_json_type(value)}")
            return None
        if value.keys() <= allowed:
            return value
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                self.fail(f"{path}.{key}", value[key], "unknown field")
        return value

    def text(
        self,
        path: str,
        container: Mapping[str, Any],
        key: str,
        *,
        required: bool = False,
        limit: int = MAX_SHORT,
    ) -> str | None:
        value = container.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.fail(where, None, "is required")
            return None
        if not isinstance(value, str):
            self.fail(where, value, f"must be a string, got {_json_type(value)}")
            return None
        stripped = value.strip()
        if not stripped:
            if required:
                self.fail(where, value, "must not be blank")
            return None
        if len(stripped) > limit:
            self.fail(where, value, f"longer than {limit} characters ({len(stripped)})")
            return None
        if has_control_characters(stripped):
            self.fail(where, value, "contains control or undecodable characters")
            return None
        return stripped


#: Control characters other than newline, tab and carriage return, and U+FFFD (what a
#: decoder puts for bytes it could not read).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a control character (other than \\n, \\t, \\r), U+FFFD
    or a lone surrogate (``"\\ud800"`` in JSON: it cannot be stored as UTF-8)."""
    return _CONTROL.search(text) is not None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _show(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TOP = frozenset({"id", "type", "version", "occurred_at", "customer", "data", "source"})
_CUSTOMER = frozenset({"user_id", "email", "phone", "first_name", "last_name"})
_DATA: dict[InteractionType, frozenset[str]] = {
    InteractionType.PURCHASE: frozenset({"amount", "currency", "order_id"}),
    InteractionType.EMAIL_OPENED: frozenset({"campaign_id", "message_id"}),
    InteractionType.EMAIL_CLICKED: frozenset({"campaign_id", "message_id", "url"}),
    InteractionType.APP_LOGIN: frozenset({"device"}),
    InteractionType.REVIEW: frozenset({"text", "channel", "rating"}),
    InteractionType.MESSAGE: frozenset({"text", "channel"}),
    InteractionType.FORM_ANSWER: frozenset({"form_id", "answers"}),
    InteractionType.BILLING: frozenset({"kind", "amount", "currency", "reference"}),
    InteractionType.USAGE_LIMIT: frozenset({"feature", "value", "limit"}),
}


def parse_interaction(
    raw: object, *, region: str = DEFAULT_REGION, trusted: bool = False
) -> Result[Interaction, tuple[FieldError, ...]]:
    """Validate and normalise one event; the failure lists every problem found.

    ``trusted`` is for JSON this code wrote itself with :meth:`Interaction.to_json`: it is
    read back without the (slow) e-mail and phone checks.
    """
    check = _Check()
    top = check.obj("$", raw, _TOP)
    if top is None:
        return Failure(tuple(check.errors))
    event_id = check.text("$", top, "id", required=True, limit=MAX_ID)
    kind: InteractionType | None = None
    raw_type = top.get("type")
    if raw_type is None:
        check.fail("$.type", None, "is required")
    elif not isinstance(raw_type, str) or raw_type not in InteractionType._value2member_map_:
        allowed = ", ".join(t.value for t in InteractionType)
        check.fail("$.type", raw_type, f"unknown event type; one of {allowed}")
    else:
        kind = InteractionType(raw_type)
    version = top.get("version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        check.fail("$.version", version, "must be a positive integer")
    elif version > SCHEMA_VERSION:
        check.fail("$.version", version, f"newer than this code reads ({SCHEMA_VERSION})")
    occurred = _parse_time(check, top.get("occurred_at"))
    source = check.text("$", top, "source")
    customer = _parse_customer(check, top.get("customer"), region=region, trusted=trusted)
    details = None
    if kind is not None:
        data = check.obj("$.data", top.get("data", {}), _DATA[kind])
        if data is not None:
            details = _parse_details(check, kind, data)
    elif "data" in top and not isinstance(top["data"], Mapping):
        check.obj("$.data", top["data"], frozenset())
    if check.errors:
        return Failure(tuple(check.errors))
    assert event_id is not None
    assert kind is not None
    assert occurred is not None
    assert customer is not None
    assert details is not None
    at, offset = occurred
    return Success(
        Interaction(
            event_id=event_id,
            type=kind,
            occurred_at=at,
            utc_offset=offset,
            customer=customer,
            details=details,
            source=source,
        )
    )


def _parse_time(check: _Check, value: object) -> tuple[datetime, timedelta] | None:
    if value is None:
        check.fail("$.occurred_at", None, "is required")
        return None
    if not isinstance(value, str) or len(value) > 40:
        check.fail("$.occurred_at", value, "must be an ISO 8601 date-time string")
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        check.fail("$.occurred_at", value, "not an ISO 8601 date-time")
        return None
    offset = at.utcoffset()
    if offset is None:
        check.fail("$.occurred_at", value, "needs a UTC offset (e.g. +03:00 or Z)")
        return None
    try:
        return at.astimezone(UTC), offset
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        check.fail("$.occurred_at", value, "out of range in UTC")
        return None


def _parse_email(raw: str) -> Result[Email, FieldError]:
    return Email.parse(raw, field="$.customer.email")


def _parse_phone(raw: str, region: str) -> Result[Phone, FieldError]:
    return Phone.parse(raw, region=region, field="$.customer.phone")


def _parse_customer(check: _Check, value: object, *, region: str, trusted: bool) -> Customer | None:
    if value is None:
        check.fail("$.customer", None, "is required")
        return None
    data = check.obj("$.customer", value, _CUSTOMER)
    if data is None:
        return None
    before = len(check.errors)
    user_id = check.text("$.customer", data, "user_id", limit=MAX_ID)
    raw_email = check.text("$.customer", data, "email", limit=320)
    raw_phone = check.text("$.customer", data, "phone", limit=40)
    first = check.text("$.customer", data, "first_name", limit=100) or ""
    last = check.text("$.customer", data, "last_name", limit=100) or ""
    email = phone = None
    if raw_email is not None:
        if trusted:
            email = Email(raw_email)
        else:
            parsed_email = _parse_email(raw_email)
            if isinstance(parsed_email, Failure):
                check.errors.append(parsed_email.failure())
            else:
                email = parsed_email.unwrap()
    if raw_phone is not None:
        if trusted:
            phone = Phone(raw_phone)
        else:
            parsed_phone = _parse_phone(raw_phone, region)
            if isinstance(parsed_phone, Failure):
                check.errors.append(parsed_phone.failure())
            else:
                phone = parsed_phone.unwrap()
    if len(check.errors) == before and user_id is None and email is None and phone is None:
        check.fail("$.customer", "{}", "needs at least one of user_id, email, phone")
        return None
    if len(check.errors) != before:
        return None
    return Customer(user_id=user_id, email=email, phone=phone, first_name=first, last_name=last)


def _money(
    check: _Check, data: Mapping[str, Any], *, required: bool, positive: bool
) -> Money | None:
    amount, currency = data.get("amount"), data.get("currency")
    if amount is None and currency is None and not required:
        return None
    if amount is None:
        check.fail("$.data.amount", None, "is required")
        return None
    if isinstance(amount, bool) or not isinstance(amount, (str, int, float)):
        check.fail("$.data.amount", amount, f"must be a decimal string, got {_json_type(amount)}")
        return None
    if isinstance(amount, str) and len(amount) > 40:
        check.fail("$.data.amount", amount, "too long for an amount")
        return None
    if not isinstance(currency, str):
        check.fail("$.data.currency", currency, "is required (ISO 4217 code)")
        return None
    # floats are accepted from JSON numbers by going through their shortest repr
    parsed = Money.parse(str(amount) if isinstance(amount, float) else amount, currency)
    if isinstance(parsed, Failure):
        err = parsed.failure()
        check.fail(f"$.data.{err.field}", err.value, err.reason)
        return None
    money = parsed.unwrap()
    if positive and money.amount < 0:
        check.fail("$.data.amount", amount, "must not be negative")
        return None
    if abs(money.amount) >= Decimal("1e15"):
        check.fail("$.data.amount", amount, "out of range")
        return None
    return money


def _parse_details(check: _Check, kind: InteractionType, data: Mapping[str, Any]) -> Details | None:
    before = len(check.errors)
    details: Details | None = None
    if kind is InteractionType.PURCHASE:
        money = _money(check, data, required=True, positive=True)
        order_id = check.text("$.data", data, "order_id", limit=MAX_ID)
        if money is not None:
            details = Purchase(amount=money, order_id=order_id)
    elif kind in (InteractionType.EMAIL_OPENED, InteractionType.EMAIL_CLICKED):
        campaign = check.text("$.data", data, "campaign_id", limit=MAX_ID)
        message = check.text("$.data", data, "message_id", limit=MAX_ID)
        url = None
        if kind is InteractionType.EMAIL_CLICKED:
            url = check.text("$.data", data, "url", required=True, limit=2048)
        details = EmailEngagement(campaign_id=campaign, message_id=message, url=url)
    elif kind is InteractionType.APP_LOGIN:
        details = AppLogin(device=check.text("$.data", data, "device"))
    elif kind in (InteractionType.REVIEW, InteractionType.MESSAGE):
        text = check.text("$.data", data, "text", required=True, limit=MAX_TEXT)
        channel = check.text(
            "$.data", data, "channel", required=kind is InteractionType.MESSAGE, limit=50
        )
        rating = data.get("rating")
        if rating is not None and (
            isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
        ):
            check.fail("$.data.rating", rating, "must be an integer from 1 to 5")
            rating = None
        if text is not None:
            details = Feedback(text=text, channel=channel, rating=rating)
    elif kind is InteractionType.FORM_ANSWER:
        form_id = check.text("$.data", data, "form_id", required=True, limit=MAX_ID)
        answers = _answers(check, data.get("answers"))
        if form_id is not None and answers is not None:
            details = FormAnswer(form_id=form_id, answers=answers)
    elif kind is InteractionType.BILLING:
        raw_kind = data.get("kind")
        billing_kind = None
        if not isinstance(raw_kind, str) or raw_kind not in BillingKind._value2member_map_:
            allowed = ", ".join(k.value for k in BillingKind)
            check.fail("$.data.kind", raw_kind, f"must be one of {allowed}")
        else:
            billing_kind = BillingKind(raw_kind)
        money = _money(check, data, required=False, positive=True)
        reference = check.text("$.data", data, "reference", limit=MAX_ID)
        if billing_kind is not None:
            details = Billing(kind=billing_kind, amount=money, reference=reference)
    elif kind is InteractionType.USAGE_LIMIT:
        feature = check.text("$.data", data, "feature", required=True, limit=MAX_ID)
        value = _count(check, data, "value")
        limit = _count(check, data, "limit")
        if feature is not None and value is not None and limit is not None:
            details = UsageLimit(feature=feature, value=value, limit=limit)
    return details if len(check.errors) == before else None


def _count(check: _Check, data: Mapping[str, Any], key: str) -> int | None:
    """A required usage count: an integer from 0 to :data:`MAX_COUNT`."""
    value = data.get(key)
    where = f"$.data.{key}"
    if value is None:
        check.fail(where, None, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        check.fail(where, value, f"must be an integer from 0 to {MAX_COUNT}")
        return None
    return value


def _answers(check: _Check, value: object) -> dict[str, Scalar] | None:
    if value is None:
        check.fail("$.data.answers", None, "is required")
        return None
    if not isinstance(value, Mapping):
        check.fail("$.data.answers", value, f"must be an object, got {_json_type(value)}")
        return None
    if len(value) > MAX_ANSWERS:
        check.fail("$.data.answers", f"{len(value)} answers", f"more than {MAX_ANSWERS}")
        return None
    out: dict[str, Scalar] = {}
    for key, answer in value.items():
        path = f"$.data.answers.{key}"
        if not isinstance(key, str) or not key or len(key) > 100:
            check.fail(path, key, "answer keys are 1-100 characters")
        elif isinstance(answer, str) and len(answer) > MAX_TEXT:
            check.fail(path, answer, f"longer than {MAX_TEXT} characters")
        elif answer is not None and not isinstance(answer, (str, int, float, bool)):
            check.fail(path, answer, "must be a string, number, boolean or null")
        else:
            out[key] = answer
    nps = out.get("nps")
    if "nps" in out and (isinstance(nps, bool) or not isinstance(nps, int) or not 0 <= nps <= 10):
        check.fail("$.data.answers.nps", nps, "NPS is an integer from 0 to 10")
    return out


# --- events emitted by the pipeline -------------------------------------------------


@event_type("crm.email.opened")
@attrs.frozen(kw_only=True)
class EmailOpened(DomainEvent):
    """A contact opened an e-mail."""

    contact_id: ContactId
    event_id: str
    campaign_id: str | None = None
    occurred_at: datetime


@event_type("crm.email.clicked")
@attrs.frozen(kw_only=True)
class EmailClicked(DomainEvent):
    """A contact clicked a link in an e-mail."""

    contact_id: ContactId
    event_id: str
    campaign_id: str | None = None
    url: str
    occurred_at: datetime


@event_type("crm.purchase.recorded")
@attrs.frozen(kw_only=True)
class PurchaseRecorded(DomainEvent):
    """A contact bought: the transactions store, the board and the CLV follow."""

    contact_id: ContactId
    event_id: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    channel: str | None = None
    product: str | None = None


@event_type("crm.feedback.analysed")
@attrs.frozen(kw_only=True)
class FeedbackAnalysed(DomainEvent):
    """A review or message was classified with enough confidence (``public_review``: a
    positive public review)."""

    contact_id: ContactId
    event_id: str
    label: str
    confidence: float
    public_review: bool = False
    occurred_at: datetime | None = None


@event_type("crm.form.answered")
@attrs.frozen(kw_only=True)
class FormAnswered(DomainEvent):
    """A contact answered a form; ``nps`` when it asked for one (0-10)."""

    contact_id: ContactId
    event_id: str
    questions: tuple[str, ...]
    nps: int | None = None
    occurred_at: datetime


@event_type("crm.app.login_recorded")
@attrs.frozen(kw_only=True)
class LoginRecorded(DomainEvent):
    """A contact logged in to the product."""

    contact_id: ContactId
    event_id: str
    occurred_at: datetime


@event_type("crm.customer.status_changed")
@attrs.frozen(kw_only=True)
class CustomerStatusChanged(DomainEvent):
    """A customer's status (new, active, hot, leaving) changed, and why."""

    contact_id: ContactId
    event_id: str
    previous: str | None
    status: str
    reasons: tuple[str, ...] = ()


@event_type("crm.funnel.stage_changed")
@attrs.frozen(kw_only=True)
class FunnelStageChanged(DomainEvent):
    """A contact moved forward in the b2c funnel."""

    contact_id: ContactId
    event_id: str
    previous: str
    stage: str
    occurred_at: datetime


@event_type("crm.action.generated")
@attrs.frozen(kw_only=True)
class ActionGenerated(DomainEvent):
    """The pipeline created an action: ``welcome``, ``offer`` or ``manager_task``."""

    contact_id: ContactId
    event_id: str
    kind: str
    activity_id: ActivityId
    reason: str

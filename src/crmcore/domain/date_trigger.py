"""Time triggers on a date field: a message a number of days before or after a date the
contact (or its account) carries, e.g. the day before a birthday or 30 days before a
renewal.

A trigger is written ``date:FIELD:OFFSET[:yearly]``: ``FIELD`` is ``contact.NAME`` or
``account.NAME`` (a stored attribute holding an ISO date or date-time, or the record's
``created_at``), ``OFFSET`` a signed number of days, and ``yearly`` makes the date recur
every year (a birthday, an anniversary). Each *occurrence* of the date fires once: the
firing is identified by (trigger, contact, occurrence date), so a tick that runs twice a
day, or a day late, neither repeats nor loses one.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import FieldError

_PATTERN = re.compile(r"^date:(contact|account)\.([a-z_][a-z0-9_]{0,62}):([+-]?\d{1,4})(:yearly)?$")

#: How to write a date trigger (for error messages and help).
SYNTAX = "date:contact.NAME|account.NAME:DAYS[:yearly] (e.g. date:contact.birthday:-1:yearly)"


@attrs.frozen(kw_only=True)
class DateTrigger:
    """Fire ``offset_days`` after (negative: before) the date in ``field``."""

    field: str  # "contact.birthday", "account.renewal_at"
    offset_days: int
    yearly: bool = False

    @property
    def record(self) -> str:
        """``contact`` or ``account``: where the field is read."""
        return self.field.split(".", 1)[0]

    @property
    def name(self) -> str:
        """The field's name on its record."""
        return self.field.split(".", 1)[1]


def is_date_trigger(text: str) -> bool:
    """Whether a sequence's trigger is a date trigger (valid or not)."""
    return text.startswith("date:")


def parse_date_trigger(text: str) -> Result[DateTrigger, FieldError]:
    """``date:contact.birthday:-1:yearly`` as a :class:`DateTrigger`."""
    found = _PATTERN.match(text.strip())
    if found is None:
        return Failure(FieldError(field="trigger", value=text, reason="expected " + SYNTAX))
    record, name, offset, yearly = found.groups()
    return Success(
        DateTrigger(field=f"{record}.{name}", offset_days=int(offset), yearly=bool(yearly))
    )


def as_date(value: object) -> date | None:
    """A field's value as a date: a date, a date-time (its UTC date when aware), or an
    ISO string of either; anything else is no date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip()).date()
    except ValueError:
        return None


def _in_year(anchor: date, year: int) -> date:
    """``anchor``'s anniversary in ``year`` (29 February is the 28th in other years)."""
    try:
        return anchor.replace(year=year)
    except ValueError:
        return anchor.replace(year=year, day=28)


def firings(trigger: DateTrigger, anchor: date, *, since: date, until: date) -> list[date]:
    """The occurrences of ``anchor`` (itself, or each anniversary when the trigger is
    yearly) whose firing day, occurrence + offset, falls in ``[since, until]``, oldest
    first. A firing is identified by its occurrence date."""
    if since > until:
        return []
    offset = timedelta(days=trigger.offset_days)
    if not trigger.yearly:
        return [anchor] if since <= anchor + offset <= until else []
    out = []
    for year in range((since - offset).year - 1, (until - offset).year + 2):
        if year < max(anchor.year, date.min.year + 1) or year > date.max.year - 1:
            continue
        occurrence = _in_year(anchor, year)
        if since <= occurrence + offset <= until:
            out.append(occurrence)
    return out


def firing_key(occurrence: date) -> int:
    """The delivery step a firing is stored under: the occurrence as ``YYYYMMDD`` (far
    above a drip sequence's step numbers, and readable in the per-step numbers)."""
    return occurrence.year * 10_000 + occurrence.month * 100 + occurrence.day

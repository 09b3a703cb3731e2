"""Time triggers on a date field: each occurrence fires exactly once, however the ticks
that evaluate it fall (property tests against a day-by-day model)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.domain.date_trigger import (
    DateTrigger,
    as_date,
    firing_key,
    firings,
    parse_date_trigger,
)

triggers = st.builds(
    DateTrigger,
    field=st.just("contact.birthday"),
    offset_days=st.integers(-400, 400),
    yearly=st.booleans(),
)
anchors = st.dates(date(1950, 1, 1), date(2040, 12, 31))
starts = st.dates(date(2000, 1, 1), date(2040, 12, 31))


def _fires_on(trigger: DateTrigger, anchor: date, day: date) -> date | None:
    """The model: the occurrence that fires on ``day``, if any, found by looking at the
    day ``offset`` days earlier (its month and day, for a yearly date)."""
    origin = day - timedelta(days=trigger.offset_days)
    if not trigger.yearly:
        return anchor if origin == anchor else None
    if origin.year < anchor.year:
        return None
    if (origin.month, origin.day) == (anchor.month, anchor.day):
        return origin
    leap_day = (anchor.month, anchor.day) == (2, 29)
    try:
        date(origin.year, 2, 29)
        leap_year = True
    except ValueError:
        leap_year = False
    if leap_day and not leap_year and (origin.month, origin.day) == (2, 28):
        return origin
    return None


@given(
    trigger=triggers,
    anchor=anchors,
    since=starts,
    gaps=st.lists(st.integers(0, 200), min_size=1, max_size=12),
)
def test_every_occurrence_fires_once_whatever_the_ticks(
    trigger: DateTrigger, anchor: date, since: date, gaps: list[int]
) -> None:
    planned: set[int] = set()  # the delivery keys: a unique index keeps each once
    tick = since
    for gap in gaps:  # ticks a day, a week or months apart, twice a day (gap 0) too
        tick += timedelta(days=gap)
        due = [firing_key(o) for o in firings(trigger, anchor, since=since, until=tick)]
        assert len(due) == len(set(due))
        assert planned <= set(due)  # an earlier firing keeps its key (never a second one)
        planned |= set(due)
    model = set()
    day = since
    while day <= tick:
        fired = _fires_on(trigger, anchor, day)
        if fired is not None:
            model.add(firing_key(fired))
        day += timedelta(days=1)
    assert set(planned) == model


@given(anchor=anchors, offset=st.integers(-60, 60))
def test_a_yearly_date_fires_once_a_year_and_keys_are_dates(anchor: date, offset: int) -> None:
    trigger = DateTrigger(field="account.renewal_at", offset_days=offset, yearly=True)
    year = max(anchor.year, 2000) + 1
    fired = firings(trigger, anchor, since=date(year, 1, 1), until=date(year + 2, 12, 31))
    assert 2 <= len(fired) <= 4
    assert len({firing_key(d) for d in fired}) == len(fired)
    assert all(firing_key(d) == int(d.strftime("%Y%m%d")) for d in fired)


def test_parsing_and_values() -> None:
    assert parse_date_trigger("date:contact.birthday:-1:yearly") == Success(
        DateTrigger(field="contact.birthday", offset_days=-1, yearly=True)
    )
    got = parse_date_trigger("date:account.renewal_at:-30").unwrap()
    assert (got.record, got.name, got.offset_days, got.yearly) == (
        "account",
        "renewal_at",
        -30,
        False,
    )
    for bad in ("date:deal.closed_at:1", "date:contact.birthday", "date:contact.x:1:weekly"):
        result = parse_date_trigger(bad)
        assert isinstance(result, Failure)
        assert "date:contact.NAME" in str(result.failure())
    assert as_date("1990-02-28") == date(1990, 2, 28)
    assert as_date("2027-05-01T10:00:00+00:00") == date(2027, 5, 1)
    assert as_date(datetime(2027, 5, 1, 23, 0)) == date(2027, 5, 1)
    assert as_date("soon") is None
    assert as_date(19900228) is None

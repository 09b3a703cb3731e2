"""Date triggers at their edges: leap days, a firing on the window's first day, long
negative offsets, the first and last years a date can hold, and the parse error."""

from __future__ import annotations

from datetime import date

from returns.result import Failure

from crmcore.domain.date_trigger import SYNTAX, DateTrigger, firings, parse_date_trigger
from crmcore.domain.errors import FieldError

YEARLY = DateTrigger(field="contact.birthday", offset_days=0, yearly=True)


def test_a_leap_day_recurs_on_the_28th_in_other_years_and_on_the_29th_in_leap_years() -> None:
    leap = date(2024, 2, 29)
    assert firings(YEARLY, leap, since=date(2025, 1, 1), until=date(2025, 12, 31)) == [
        date(2025, 2, 28)
    ]
    assert firings(YEARLY, leap, since=date(2028, 1, 1), until=date(2028, 12, 31)) == [
        date(2028, 2, 29)
    ]


def test_a_firing_on_the_first_or_last_day_of_the_window_counts() -> None:
    anchor = date(2000, 5, 10)
    day = date(2026, 5, 10)
    assert firings(YEARLY, anchor, since=day, until=day) == [day]


def test_a_long_negative_offset_finds_the_occurrence_a_year_ahead() -> None:
    trigger = DateTrigger(field="account.renewal_at", offset_days=-400, yearly=True)
    occurrence = date(2026, 6, 1)
    fires = date(2025, 4, 27)  # 400 days before
    assert firings(trigger, date(2000, 6, 1), since=fires, until=fires) == [occurrence]


def test_the_first_and_last_years_a_date_holds_are_left_out_and_the_ones_inside_kept() -> None:
    assert firings(YEARLY, date(1, 3, 1), since=date(1, 3, 1), until=date(1, 3, 1)) == []
    assert firings(YEARLY, date(1, 3, 1), since=date(2, 3, 1), until=date(2, 3, 1)) == [
        date(2, 3, 1)
    ]
    late = date(9998, 1, 1)
    assert firings(YEARLY, date(2000, 1, 1), since=late, until=late) == [late]
    last = date(9999, 1, 1)
    assert firings(YEARLY, date(2000, 1, 1), since=last, until=last) == []


def test_a_malformed_trigger_names_the_field_and_the_syntax() -> None:
    assert parse_date_trigger("date:contact:1") == Failure(
        FieldError(field="trigger", value="date:contact:1", reason="expected " + SYNTAX)
    )

"""Activation pinned on journeys the funnel's order does not fully know: entries of an
unknown stage are ignored, and a journey that never reached the start does not stop the
count of the journeys after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmcore.domain.funnel_metrics import Entry, activation

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ORDER = ["visitor", "lead", "trial"]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_entries_of_an_unknown_stage_are_ignored() -> None:
    journey = [Entry(stage="spam", at=at(0)), Entry(stage="visitor", at=at(10))]
    journey.append(Entry(stage="lead", at=at(30)))
    result = activation([journey], ORDER, start="visitor", goal="lead")
    assert (result.leads, result.activated, result.median_minutes) == (1, 1, 20)
    only_unknown = activation(
        [[Entry(stage="spam", at=at(0))]], ORDER, start="visitor", goal="lead"
    )
    assert (only_unknown.leads, only_unknown.activated, only_unknown.rate) == (0, 0, None)


def test_a_journey_that_never_started_does_not_end_the_count() -> None:
    journeys = [
        [Entry(stage="visitor", at=at(0))],
        [Entry(stage="lead", at=at(0)), Entry(stage="trial", at=at(5))],
        [Entry(stage="lead", at=at(0))],
    ]
    result = activation(journeys, ORDER, start="lead", goal="trial")
    assert (result.leads, result.activated, result.rate, result.median_minutes) == (2, 1, 0.5, 5)


def test_the_activation_targets_are_strict() -> None:
    from crmcore.domain.funnel_metrics import Status

    def journeys(done: int, total: int, seconds: int) -> list[list[Entry]]:
        out = [
            [Entry(stage="lead", at=T0), Entry(stage="trial", at=T0 + timedelta(seconds=seconds))]
            for _ in range(done)
        ]
        return out + [[Entry(stage="lead", at=T0)] for _ in range(total - done)]

    on_line = activation(journeys(3, 5, 30 * 60), ORDER, start="lead", goal="trial")
    assert (on_line.rate, on_line.rate_status) == (0.6, Status.OFF_TARGET)
    assert (on_line.median_minutes, on_line.time_status) == (30, Status.OFF_TARGET)
    inside = activation(journeys(4, 6, 29 * 60 + 45), ORDER, start="lead", goal="trial")
    assert inside.rate_status is Status.OK  # 2/3 > 60 %
    assert (inside.median_minutes, inside.time_status) == (29.75, Status.OK)


def test_stage_entries_count_once_per_journey_and_unknown_stages_are_skipped() -> None:
    from crmcore.domain.funnel_metrics import funnel_metrics

    journey = [
        Entry(stage="spam", at=at(0)),
        Entry(stage="lead", at=at(60)),
        Entry(stage="lead", at=at(120)),
        Entry(stage="trial", at=at(240)),
    ]
    visitor, lead, trial = funnel_metrics([journey], ORDER)
    assert (visitor.entered, lead.entered, trial.entered) == (0, 1, 1)
    assert (visitor.reached, lead.reached, trial.reached) == (1, 1, 1)

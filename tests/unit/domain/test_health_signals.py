"""Health inputs read from facts (``crmcore.domain.health_signals``): the 30-day window,
login days, engagement, the latest NPS and feedback, last activity, and overrides."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.facts import Fact, FactKind
from crmcore.domain.health import HealthInputs
from crmcore.domain.health_signals import WINDOW, health_facts, inputs_from_facts, with_overrides
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from tests.strategies import pipeline_facts

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
OWNER = ContactId(UUID(int=3))
EDGE = NOW - timedelta(days=30)
SECOND = timedelta(seconds=1)

_ids = iter(range(10**9))


def fact(kind: FactKind, at: datetime, name: str = "", value: Any = None) -> Fact:
    return Fact(
        contact_id=OWNER,
        event_id=f"e{next(_ids)}",
        kind=kind,
        name=name,
        value=value,
        occurred_at=at,
    )


def login(at: datetime) -> Fact:
    return fact(FactKind.ENGAGEMENT, at, "app_login")


def opened(at: datetime) -> Fact:
    return fact(FactKind.ENGAGEMENT, at, "email_opened")


def clicked(at: datetime) -> Fact:
    return fact(FactKind.ENGAGEMENT, at, "email_clicked")


def nps(at: datetime, value: object) -> Fact:
    return fact(FactKind.LOYALTY, at, "nps", value)


def feeling(at: datetime, label: SentimentLabel) -> Fact:
    return fact(FactKind.SENTIMENT, at, value=Sentiment(label=label, confidence=0.9))


def bought(at: datetime) -> Fact:
    return fact(FactKind.PURCHASE, at, value=Money(Decimal(10), "USD"))


def read(*facts: Fact, now: datetime = NOW) -> HealthInputs:
    return inputs_from_facts(list(facts), now=now)


def test_the_window_is_30_days() -> None:
    assert timedelta(days=30) == WINDOW


def test_no_facts_are_empty_inputs() -> None:
    assert read() == HealthInputs()


def test_a_login_exactly_30_days_ago_counts_and_one_second_earlier_does_not() -> None:
    assert read(login(EDGE)).active_days_30 == 1
    assert read(login(EDGE)).engagement_30 == 1
    assert read(login(EDGE - SECOND)).active_days_30 == 0
    assert read(login(EDGE - SECOND)).engagement_30 == 0


def test_logins_count_by_distinct_day() -> None:
    day = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
    got = read(login(day), login(day + timedelta(hours=5)), login(day + timedelta(days=1)))
    assert got.active_days_30 == 2
    assert got.engagement_30 == 3


def test_only_logins_are_usage_but_opens_clicks_and_logins_are_engagement() -> None:
    day = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
    got = read(opened(day), clicked(day + timedelta(days=1)), opened(day + timedelta(days=2)))
    assert got.active_days_30 == 0
    assert got.engagement_30 == 3
    other = fact(FactKind.ENGAGEMENT, day, "page_view")
    assert read(other).engagement_30 == 1
    assert read(other).active_days_30 == 0


def test_engagement_outside_the_window_still_dates_the_last_activity() -> None:
    old = EDGE - timedelta(days=10)
    got = read(opened(old), login(old))
    assert (got.engagement_30, got.active_days_30) == (0, 0)
    assert got.last_active_at == old


def test_purchases_are_activity_but_not_engagement() -> None:
    at = NOW - timedelta(days=2)
    got = read(bought(at))
    assert got.last_active_at == at
    assert got.engagement_30 == 0


def test_the_last_activity_is_the_latest_engagement_or_purchase() -> None:
    early, late = NOW - timedelta(days=9), NOW - timedelta(days=1)
    assert read(bought(late), opened(early)).last_active_at == late
    assert read(opened(late), bought(early)).last_active_at == late
    assert read(login(early), login(late), login(early)).last_active_at == late


def test_answers_feedback_and_billing_are_not_activity() -> None:
    at = NOW - timedelta(days=1)
    got = read(
        nps(at, 9),
        feeling(at, SentimentLabel.POSITIVE),
        fact(FactKind.BILLING, at, "payment"),
        fact(FactKind.LOYALTY, at, "ok", True),
    )
    assert got.last_active_at is None
    assert got.engagement_30 == 0


def test_facts_after_now_are_ignored() -> None:
    later = NOW + SECOND
    got = read(
        login(later),
        bought(later),
        nps(later, 0),
        feeling(later, SentimentLabel.NEGATIVE),
    )
    assert got == HealthInputs()
    assert read(login(NOW)).active_days_30 == 1
    assert read(nps(NOW - SECOND, 9), nps(later, 0)).nps == 9


def test_the_latest_nps_wins_however_old() -> None:
    old = NOW - timedelta(days=400)
    assert read(nps(old, 3)).nps == 3
    assert read(nps(old, 3), nps(old + SECOND, 10)).nps == 10
    assert read(nps(old + SECOND, 10), nps(old, 3)).nps == 10


@pytest.mark.parametrize("value", [True, False, "9", 11, -1, 9.0, None])
def test_an_nps_that_is_not_an_integer_from_0_to_10_is_skipped(value: object) -> None:
    at = NOW - timedelta(days=1)
    assert read(nps(at, value)).nps is None
    assert read(nps(at - SECOND, 4), nps(at, value)).nps == 4


@pytest.mark.parametrize("value", [0, 10])
def test_the_ends_of_the_nps_scale_are_read(value: int) -> None:
    assert read(nps(NOW, value)).nps == value


def test_other_answers_are_not_the_nps() -> None:
    assert read(fact(FactKind.LOYALTY, NOW, "rating", 9)).nps is None


def test_negative_feedback_is_the_latest_feedback_being_negative_within_the_window() -> None:
    negative, positive = SentimentLabel.NEGATIVE, SentimentLabel.POSITIVE
    recent = NOW - timedelta(days=3)
    assert read(feeling(recent, negative)).negative_feedback
    assert read(feeling(EDGE, negative)).negative_feedback
    assert not read(feeling(EDGE - SECOND, negative)).negative_feedback
    assert not read(feeling(recent, negative), feeling(recent + SECOND, positive)).negative_feedback
    assert not read(feeling(recent + SECOND, positive), feeling(recent, negative)).negative_feedback
    assert read(feeling(recent, positive), feeling(recent + SECOND, negative)).negative_feedback
    assert not read(
        feeling(recent, SentimentLabel.NEUTRAL), feeling(recent - SECOND, negative)
    ).negative_feedback


def test_an_old_negative_after_nothing_newer_is_not_negative_feedback() -> None:
    old = EDGE - timedelta(days=5)
    assert not read(
        feeling(old - SECOND, SentimentLabel.POSITIVE), feeling(old, SentimentLabel.NEGATIVE)
    ).negative_feedback


def test_a_sentiment_fact_without_a_sentiment_is_skipped() -> None:
    at = NOW - timedelta(days=1)
    odd = fact(FactKind.SENTIMENT, at + SECOND, value="positive")
    assert read(feeling(at, SentimentLabel.NEGATIVE), odd).negative_feedback


def oracle(facts: list[Fact], now: datetime) -> HealthInputs:
    """The health inputs from docs/bus.md, written with sorting instead of a running fold.
    Among facts at the same instant the one last in the facts' order (time, event, kind,
    name) is the latest, as the stores return them."""
    seen = [f for f in sorted(set(facts), key=lambda f: f.order) if f.occurred_at <= now]
    recent = [f for f in seen if f.occurred_at >= now - timedelta(days=30)]
    engaged = [f for f in recent if f.kind is FactKind.ENGAGEMENT]
    answers = [
        f.value
        for f in seen
        if f.kind is FactKind.LOYALTY
        and f.name == "nps"
        and type(f.value) is int
        and 0 <= f.value <= 10
    ]
    feedback = [f for f in seen if f.kind is FactKind.SENTIMENT]
    active = [f.occurred_at for f in seen if f.kind in (FactKind.ENGAGEMENT, FactKind.PURCHASE)]
    return HealthInputs(
        active_days_30=len({f.occurred_at.date() for f in engaged if f.name == "app_login"}),
        engagement_30=len(engaged),
        nps=answers[-1] if answers else None,
        negative_feedback=bool(feedback)
        and feedback[-1].value.label is SentimentLabel.NEGATIVE
        and feedback[-1] in recent,
        last_active_at=max(active, default=None),
    )


@given(pipeline_facts(), st.integers(0, 100), st.randoms(use_true_random=False))
def test_the_latest_answer_and_feedback_win_whatever_the_input_order(
    facts: list[Fact], day: int, rnd: random.Random
) -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
    distinct = list(dict.fromkeys(facts))
    shuffled = list(distinct)
    rnd.shuffle(shuffled)
    assert inputs_from_facts(shuffled, now=now) == oracle(distinct, now)


# --- health_facts: the facts the inputs need ----------------------------------------


@given(pipeline_facts(), st.integers(0, 100), st.randoms(use_true_random=False))
def test_the_health_facts_give_the_inputs_all_the_facts_give(
    facts: list[Fact], day: int, rnd: random.Random
) -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    kept = health_facts(shuffled, now=now)
    assert inputs_from_facts(kept, now=now) == inputs_from_facts(facts, now=now)
    assert [f.order for f in kept] == sorted(f.order for f in kept)


@given(pipeline_facts(), st.integers(0, 100))
def test_the_health_facts_are_the_window_engagement_and_at_most_three_more(
    facts: list[Fact], day: int
) -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
    window = [
        f for f in facts if f.kind is FactKind.ENGAGEMENT and now - WINDOW <= f.occurred_at <= now
    ]
    kept = health_facts(facts, now=now)
    rest = list(kept)
    for f in window:
        rest.remove(f)
    assert len(rest) <= 3
    assert all(f.occurred_at <= now and f in facts for f in rest)


def test_old_history_is_left_out_but_the_latest_of_each_kind_is_kept() -> None:
    old = [bought(NOW - timedelta(days=90)), nps(NOW - timedelta(days=80), 3)]
    latest = [
        nps(NOW - timedelta(days=70), 9),
        feeling(NOW - timedelta(days=60), SentimentLabel.NEGATIVE),
        bought(NOW - timedelta(days=50)),
    ]
    assert health_facts([*old, *latest], now=NOW) == latest
    latest.pop()  # the logins below are later activity than the purchase
    recent = [login(NOW - timedelta(days=2)), opened(NOW - timedelta(days=1))]
    invalid = nps(NOW - timedelta(days=1), 11)
    later = login(NOW + SECOND)
    assert health_facts([*old, *latest, *recent, invalid, later], now=NOW) == [*latest, *recent]


def test_the_ends_of_the_window_and_now_are_inside() -> None:
    edge, at_now = login(EDGE), opened(NOW)
    assert health_facts([edge], now=NOW) == [edge]
    assert health_facts([edge, bought(EDGE + SECOND)], now=NOW)[0] == edge
    assert health_facts([at_now], now=NOW) == [at_now]


def test_feedback_without_a_sentiment_and_other_kinds_with_one_are_not_the_latest() -> None:
    glad = feeling(NOW - timedelta(days=5), SentimentLabel.POSITIVE)
    blank = fact(FactKind.SENTIMENT, NOW - timedelta(days=4))
    odd = fact(FactKind.BILLING, NOW - timedelta(days=3), "refund", glad.value)
    assert health_facts([glad, blank, odd], now=NOW) == [glad]


def test_a_latest_activity_inside_the_window_is_kept_once() -> None:
    facts = [bought(NOW - timedelta(days=40)), login(NOW - timedelta(days=3))]
    assert health_facts(facts, now=NOW) == facts[1:]


# --- with_overrides ---------------------------------------------------------------------

OBSERVED = HealthInputs(
    active_days_30=4,
    engagement_30=9,
    nps=8,
    negative_feedback=False,
    last_active_at=NOW,
)
FILLED = HealthInputs(
    active_days_30=1,
    features_used=frozenset({"export"}),
    key_features=frozenset({"export", "api"}),
    engagement_30=2,
    tickets=3,
    unresolved_tickets=1,
    nps=2,
    negative_feedback=True,
    last_active_at=NOW - timedelta(days=60),
    renewal_at=NOW + timedelta(days=20),
)


def test_no_keys_keep_everything_observed() -> None:
    assert with_overrides(OBSERVED, FILLED, []) == OBSERVED


def test_exactly_the_named_fields_are_taken_from_the_filled_inputs() -> None:
    got = with_overrides(OBSERVED, FILLED, ["nps", "tickets"])
    assert got == attrs.evolve(OBSERVED, nps=2, tickets=3)


def test_unknown_keys_are_ignored() -> None:
    assert with_overrides(OBSERVED, FILLED, ["churn", "score", "nps"]) == attrs.evolve(
        OBSERVED, nps=2
    )


@given(st.sets(st.sampled_from([f.name for f in attrs.fields(HealthInputs)] + ["x", "y"])))
def test_each_field_comes_from_filled_exactly_when_named(keys: set[str]) -> None:
    got = with_overrides(OBSERVED, FILLED, keys)
    for field in attrs.fields(HealthInputs):
        source = FILLED if field.name in keys else OBSERVED
        assert getattr(got, field.name) == getattr(source, field.name), field.name


def test_at_the_same_instant_the_later_fact_in_the_facts_order_is_the_latest() -> None:
    at = NOW - timedelta(days=1)

    def keyed(f: Fact, event_id: str) -> Fact:
        return attrs.evolve(f, event_id=event_id)

    low, high = keyed(nps(at, 2), "a"), keyed(nps(at, 10), "b")
    assert read(low, high).nps == read(high, low).nps == 10
    sad = keyed(feeling(at, SentimentLabel.NEGATIVE), "b")
    glad = keyed(feeling(at, SentimentLabel.POSITIVE), "a")
    assert read(sad, glad).negative_feedback
    assert read(glad, sad).negative_feedback

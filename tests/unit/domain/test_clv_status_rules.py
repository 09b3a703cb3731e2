"""CLV statuses (C9, docs/clv.md) pinned: leaving, hot and new each on, just below and just
above its line, with the reasons they give; the top-value threshold by worked examples.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from crmcore.domain.clv import PurchaseHistory, TimeUnit, history_of
from crmcore.domain.clv_status import (
    ACTIONS,
    ClvRules,
    ClvStatus,
    StatusDecision,
    StatusFacts,
    classify,
    top_value_threshold,
)

DAY = date(2026, 6, 30)
RULES = ClvRules()


def history(first: int, last: int, previous: int | None = None, days: int = 2) -> PurchaseHistory:
    """Purchase days given as days before :data:`DAY`."""
    return PurchaseHistory(
        customer_id="c",
        first_day=DAY - timedelta(days=first),
        last_day=DAY - timedelta(days=last),
        previous_day=None if previous is None else DAY - timedelta(days=previous),
        purchase_days=days,
        repeat_total=Decimal(10),
    )


#: Bought long ago and recently, no gap worth a comeback: no status by itself.
PLAIN = history(first=200, last=5, previous=20)


def status(facts: StatusFacts, top: Decimal | None = None) -> StatusDecision | None:
    return classify(facts, day=DAY, rules=RULES, top_value=top)


@pytest.mark.parametrize(
    ("p_alive", "leaving"), [(0.0, True), (0.29, True), (0.3, False), (0.31, False)]
)
def test_leaving_below_p_alive_0_3(p_alive: float, leaving: bool) -> None:
    got = status(StatusFacts(history=PLAIN, p_alive=p_alive))
    if leaving:
        assert got == StatusDecision(
            status=ClvStatus.LEAVING, reasons=(f"P(alive) {p_alive:.2f} below 0.3",)
        )
    else:
        assert got is None


@pytest.mark.parametrize(("silent", "leaving"), [(59, False), (60, True), (61, True)])
def test_leaving_after_60_days_without_response_login_or_purchase(
    silent: int, leaving: bool
) -> None:
    quiet = history(first=300, last=silent + 10, previous=silent + 20)
    facts = StatusFacts(
        history=quiet,
        last_email_response=DAY - timedelta(days=silent),
        last_login=DAY - timedelta(days=silent + 3),
    )
    expected = StatusDecision(
        status=ClvStatus.LEAVING,
        reasons=(f"no email response, app login or purchase for {silent} days",),
    )
    assert status(facts) == (expected if leaving else None)


def test_the_latest_of_response_login_and_purchase_counts() -> None:
    old = DAY - timedelta(days=90)
    recent_purchase = StatusFacts(history=history(first=300, last=10, previous=40), last_login=old)
    assert status(recent_purchase) is None
    recent_login = StatusFacts(
        history=history(first=300, last=90, previous=120),
        last_login=DAY - timedelta(days=10),
        last_email_response=old,
    )
    assert status(recent_login) is None
    # without any engagement date the inactivity rule does not apply at all
    assert status(StatusFacts(history=history(first=300, last=90, previous=120))) is None


def test_both_leaving_reasons_are_given() -> None:
    facts = StatusFacts(
        history=history(first=300, last=100, previous=120),
        p_alive=0.05,
        last_login=DAY - timedelta(days=70),
    )
    assert status(facts) == StatusDecision(
        status=ClvStatus.LEAVING,
        reasons=(
            "P(alive) 0.05 below 0.3",
            "no email response, app login or purchase for 70 days",
        ),
    )


@pytest.mark.parametrize(
    ("gap", "since", "hot"),
    [
        (59, 0, False),
        (60, 0, True),
        (61, 0, True),
        (60, 29, True),
        (60, 30, True),
        (60, 31, False),
    ],
)
def test_hot_after_a_comeback(gap: int, since: int, hot: bool) -> None:
    comeback = history(first=400, last=since, previous=since + gap)
    expected = StatusDecision(status=ClvStatus.HOT, reasons=(f"came back after {gap} days",))
    assert status(StatusFacts(history=comeback)) == (expected if hot else None)


@pytest.mark.parametrize(
    ("clv", "hot"), [(Decimal("99.99"), False), (Decimal(100), True), (Decimal("100.01"), True)]
)
def test_hot_at_or_above_the_top_value(clv: Decimal, hot: bool) -> None:
    got = status(StatusFacts(history=PLAIN, clv=clv), top=Decimal(100))
    expected = StatusDecision(status=ClvStatus.HOT, reasons=("top 10% predicted value",))
    assert got == (expected if hot else None)
    assert status(StatusFacts(history=PLAIN, clv=clv)) is None  # no threshold: no top value


def test_hot_gives_both_reasons_and_leaving_wins_over_hot() -> None:
    comeback = history(first=400, last=3, previous=100)
    facts = StatusFacts(history=comeback, clv=Decimal(500))
    assert status(facts, Decimal(100)) == StatusDecision(
        status=ClvStatus.HOT, reasons=("came back after 97 days", "top 10% predicted value")
    )
    leaving = StatusFacts(history=comeback, clv=Decimal(500), p_alive=0.1)
    got = status(leaving, Decimal(100))
    assert got is not None
    assert got.status is ClvStatus.LEAVING


@pytest.mark.parametrize(("first", "new"), [(0, True), (29, True), (30, True), (31, False)])
def test_new_within_30_days_of_the_first_purchase(first: int, new: bool) -> None:
    got = status(StatusFacts(history=history(first=first, last=first, days=1)))
    expected = StatusDecision(status=ClvStatus.NEW, reasons=(f"first purchase {first} days ago",))
    assert got == (expected if new else None)


def test_hot_wins_over_new() -> None:
    facts = StatusFacts(history=history(first=10, last=10, days=1), clv=Decimal(5))
    got = status(facts, Decimal(5))
    assert got is not None
    assert got.status is ClvStatus.HOT


def test_each_status_has_its_action() -> None:
    assert {s: StatusDecision(status=s, reasons=()).action for s in ClvStatus} == {
        ClvStatus.HOT: "personalised offer email",
        ClvStatus.LEAVING: "call task for a manager with an individual offer",
        ClvStatus.NEW: "welcome path",
    }
    assert ACTIONS[ClvStatus.NEW] == "welcome path"


def test_rule_lines_follow_the_configuration() -> None:
    rules = ClvRules(new_days=5, leaving_p_alive=0.5, comeback_gap_days=10, comeback_recent_days=2)
    assert classify(
        StatusFacts(history=PLAIN, p_alive=0.45), day=DAY, rules=rules
    ) == StatusDecision(status=ClvStatus.LEAVING, reasons=("P(alive) 0.45 below 0.5",))
    comeback = history(first=400, last=2, previous=12)
    got = classify(StatusFacts(history=comeback), day=DAY, rules=rules)
    assert got == StatusDecision(status=ClvStatus.HOT, reasons=("came back after 10 days",))
    fresh = history(first=6, last=6, days=1)
    assert classify(StatusFacts(history=fresh), day=DAY, rules=rules) is None
    inactive = ClvRules(inactive_days=20)
    quiet = history(first=200, last=25, previous=40)
    facts = StatusFacts(history=quiet, last_login=DAY - timedelta(days=20))
    got = classify(facts, day=DAY, rules=inactive)
    assert got is not None
    assert got.status is ClvStatus.LEAVING


# --- the top-value threshold ---------------------------------------------------------------------


def test_top_value_threshold_worked_examples() -> None:
    values = [Decimal(v) for v in (5, 80, 0, 40, -3, 10, 20, 70, 60, 50, 30, 90)]
    # ten positive values: 90, 80, 70, 60, 50, 40, 30, 20, 10, 5
    assert top_value_threshold(values, 0.1) == Decimal(90)  # ⌈1.0⌉ = 1 value
    assert top_value_threshold(values, 0.25) == Decimal(70)  # ⌈2.5⌉ = 3 values
    assert top_value_threshold(values, 1.0) == Decimal(5)
    assert top_value_threshold(values, 0.0) is None
    assert top_value_threshold([Decimal(0), Decimal(-1)], 0.5) is None
    assert top_value_threshold([], 0.5) is None
    assert top_value_threshold([Decimal(3)], 0.01) == Decimal(3)


# --- histories and configuration ------------------------------------------------------------------


def test_history_of_merges_same_day_purchases_and_ignores_later_ones() -> None:
    purchases = [
        (DAY - timedelta(days=40), Decimal(10)),
        (DAY - timedelta(days=3), Decimal(4)),
        (DAY - timedelta(days=3), Decimal(6)),
        (DAY - timedelta(days=20), Decimal(7)),
        (DAY + timedelta(days=1), Decimal(100)),
    ]
    got = history_of(purchases, customer_id="c", as_of=DAY)
    assert got == PurchaseHistory(
        customer_id="c",
        first_day=DAY - timedelta(days=40),
        last_day=DAY - timedelta(days=3),
        previous_day=DAY - timedelta(days=20),
        purchase_days=3,
        repeat_total=Decimal(17),
    )
    assert history_of(purchases[-1:], customer_id="c", as_of=DAY) is None
    two = history_of(purchases[:2], customer_id="c", as_of=DAY)
    assert two is not None
    assert (two.previous_day, two.last_day, two.purchase_days, two.repeat_total) == (
        DAY - timedelta(days=40),
        DAY - timedelta(days=3),
        2,
        Decimal(4),
    )
    single = history_of(purchases[:1], customer_id="c", as_of=DAY)
    assert single is not None
    assert (single.previous_day, single.purchase_days, single.repeat_total) == (
        None,
        1,
        Decimal(0),
    )
    assert isinstance(single.repeat_total, Decimal)


def test_a_history_summary_worked_out() -> None:
    h = history(first=70, last=14, days=3)  # repeat_total 10 over 2 repeats
    s = h.summary(as_of=DAY, unit=TimeUnit.WEEKS)
    assert (s.customer_id, s.frequency, s.recency, s.T, s.monetary_value) == (
        "c",
        2,
        8.0,  # 56 days
        10.0,  # 70 days
        Decimal(5),
    )
    one = history(first=7, last=7, days=1).summary(as_of=DAY, unit=TimeUnit.DAYS)
    assert (one.frequency, one.recency, one.T, one.monetary_value) == (0, 0.0, 7.0, Decimal(0))


@pytest.mark.parametrize(
    "changes",
    [
        {"new_days": -1},
        {"leaving_p_alive": 1.01},
        {"leaving_p_alive": -0.01},
        {"leaving_p_alive": float("nan")},
        {"inactive_days": 0},
        {"comeback_gap_days": 0},
        {"comeback_recent_days": -1},
        {"hot_top_share": 1.5},
        {"horizon_months": 0.0},
        {"horizon_months": float("inf")},
        {"discount_rate": -0.1},
        {"call_due_days": -1},
    ],
)
def test_bad_rules_are_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=str(next(iter(changes)))):
        ClvRules(**changes)  # type: ignore[arg-type]


def test_rules_on_their_limits_are_accepted() -> None:
    rules = ClvRules(
        new_days=0,
        leaving_p_alive=1.0,
        inactive_days=1,
        comeback_gap_days=1,
        comeback_recent_days=0,
        hot_top_share=0.0,
        horizon_months=0.5,
        discount_rate=0.0,
        call_due_days=0,
    )
    assert rules.leaving_p_alive == 1.0
    assert ClvRules(leaving_p_alive=0.0).leaving_p_alive == 0.0

"""Purchase histories and the status rules, as properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.clv import PurchaseHistory
from crmcore.domain.clv_status import (
    ClvRules,
    ClvStatus,
    StatusFacts,
    classify,
    top_value_threshold,
)

DAY = date(2026, 3, 31)
days_back = st.integers(0, 400)


@st.composite
def facts(draw: st.DrawFn) -> StatusFacts:
    first = DAY - timedelta(days=draw(days_back))
    count = draw(st.integers(1, 5))
    gaps = draw(st.lists(st.integers(0, (DAY - first).days), max_size=count - 1))
    days = [first] + [first + timedelta(days=g) for g in gaps if g > 0]
    days = sorted(set(days))
    history = PurchaseHistory(
        customer_id="c",
        first_day=days[0],
        last_day=days[-1],
        previous_day=days[-2] if len(days) > 1 else None,
        purchase_days=len(days),
    )
    optional_day = st.none() | days_back.map(lambda n: DAY - timedelta(days=n))
    return StatusFacts(
        history=history,
        p_alive=draw(st.none() | st.floats(0, 1)),
        clv=draw(st.none() | st.decimals(0, 1000, places=2)),
        last_email_response=draw(optional_day),
        last_login=draw(optional_day),
    )


@given(f=facts(), top=st.none() | st.decimals(0, 1000, places=2))
def test_each_status_is_backed_by_its_rule(f: StatusFacts, top: Decimal | None) -> None:
    rules = ClvRules()
    decision = classify(f, day=DAY, rules=rules, top_value=top)
    h = f.history
    low_alive = f.p_alive is not None and f.p_alive < rules.leaving_p_alive
    seen = [d for d in (f.last_email_response, f.last_login) if d is not None]
    quiet = bool(seen) and (DAY - max([*seen, h.last_day])).days >= rules.inactive_days
    if low_alive or quiet:
        assert decision is not None
        assert decision.status is ClvStatus.LEAVING
        return
    assert decision is None or decision.status is not ClvStatus.LEAVING
    if decision is None:
        assert (DAY - h.first_day).days > rules.new_days
    elif decision.status is ClvStatus.NEW:
        assert (DAY - h.first_day).days <= rules.new_days
    else:
        top_value = top is not None and f.clv is not None and f.clv >= top
        came_back = h.previous_day is not None and (h.last_day - h.previous_day).days >= 60
        assert top_value or came_back


@given(values=st.lists(st.decimals(-10, 1000, places=2)), share=st.floats(0, 1))
def test_top_share_threshold_selects_about_that_share(values: list[Decimal], share: float) -> None:
    threshold = top_value_threshold(values, share)
    positive = [v for v in values if v > 0]
    if threshold is None:
        assert not positive or share * len(positive) == 0
        return
    chosen = [v for v in positive if v >= threshold]
    assert len(chosen) >= share * len(positive)
    assert min(chosen) == threshold

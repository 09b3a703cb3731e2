"""Hypothesis strategies for the CLV tests (candidates to move into tests/strategies.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from hypothesis import strategies as st

from crmcore.domain.clv import BgNbdParams, CustomerSummary, Purchase

AS_OF = date(2026, 1, 31)

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 3, 31))
"""Purchase days around AS_OF, some after it."""

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@st.composite
def purchases(draw: st.DrawFn) -> Purchase:
    """A purchase on a day, given as a date or as a datetime (naive or UTC) on that day."""
    day = draw(days)
    moment: date = day
    if draw(st.booleans()):
        clock = draw(st.times(min_value=time(0, 0), max_value=time(23, 59, 59)))
        moment = datetime.combine(day, clock, tzinfo=draw(st.sampled_from([None, UTC])))
    return moment, draw(prices)


histories = st.lists(purchases(), max_size=25)
"""A customer's purchases in no particular order, with same-day repeats and later ones."""


@st.composite
def bg_nbd_params(draw: st.DrawFn) -> BgNbdParams:
    """BG/NBD parameters over the range seen in practice and beyond (a + b < 1, a near 1)."""
    value = st.floats(min_value=0.02, max_value=20.0)
    return BgNbdParams(
        r=draw(value), alpha=draw(value), a=draw(value), b=draw(value), log_likelihood=0.0
    )


@st.composite
def summaries(draw: st.DrawFn, *, max_T: float = 104.0) -> CustomerSummary:
    """A valid customer summary in weeks (times on the day grid)."""
    T_days = draw(st.integers(min_value=0, max_value=int(max_T * 7)))
    frequency = draw(st.integers(min_value=0, max_value=min(T_days, 300)))
    tx_days = draw(st.integers(min_value=frequency, max_value=T_days)) if frequency else 0
    value = draw(prices) if frequency else Decimal(0)
    return CustomerSummary(
        customer_id=draw(st.uuids()).hex,
        frequency=frequency,
        recency=tx_days / 7,
        T=T_days / 7,
        monetary_value=value,
    )


horizons = st.floats(min_value=0.0, max_value=120.0)
"""CLV horizons in months."""

"""CLV values pinned: the time units' lengths and months, the summary's refusals with their
messages, the Gamma-Gamma mean spend worked out by hand, and the fit error's reason."""

from __future__ import annotations

import math

import pytest

from crmcore.domain.clv import ClvFitError, CustomerSummary, GammaGammaParams, TimeUnit


def test_time_units_have_their_length_and_months() -> None:
    assert (TimeUnit.DAYS.days, TimeUnit.WEEKS.days) == (1, 7)
    assert TimeUnit.DAYS.per_month == 30.0
    assert TimeUnit.WEEKS.per_month == 4.345


def test_the_mean_spend_is_p_gamma_over_q_minus_1() -> None:
    params = GammaGammaParams(p=6.0, q=4.0, gamma=15.0, customers=10)
    assert params.mean_spend == 30.0  # 6 * 15 / 3


def test_a_fit_error_keeps_its_reason() -> None:
    error = ClvFitError("too few repeat buyers")
    assert error.reason == "too few repeat buyers"
    assert str(error) == "too few repeat buyers"


@pytest.mark.parametrize("field", ["recency", "T"])
@pytest.mark.parametrize("bad", [-0.5, math.inf, math.nan])
def test_recency_and_t_are_finite_and_not_negative(field: str, bad: float) -> None:
    values = {"frequency": 1, "recency": 1.0, "T": 2.0, field: bad}
    with pytest.raises(ValueError, match=rf"^{field} must be a finite number >= 0, got {bad!r}$"):
        CustomerSummary(customer_id="c", **values)  # type: ignore[arg-type]


def test_zero_values_are_a_valid_summary() -> None:
    summary = CustomerSummary(customer_id="c", frequency=0, recency=0.0, T=0.0)
    assert (summary.recency, summary.T) == (0.0, 0.0)


def test_the_summary_refuses_a_recency_after_t_and_recency_without_repeats() -> None:
    with pytest.raises(ValueError, match=r"^recency 3\.0 is after T 2\.0$"):
        CustomerSummary(customer_id="c", frequency=1, recency=3.0, T=2.0)
    assert CustomerSummary(customer_id="c", frequency=1, recency=2.0, T=2.0).recency == 2.0
    with pytest.raises(ValueError, match=r"^a customer without repeat purchases has recency 0$"):
        CustomerSummary(customer_id="c", frequency=0, recency=1.0, T=2.0)

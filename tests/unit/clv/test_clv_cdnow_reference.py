"""Reproduce the published CDNOW estimates and predictions.

Data: the CDNOW sample (2,357 customers who first bought in Q1 1997, 39-week calibration
period), summary as distributed with lifetimes 0.11.3 (MIT) in tests/data/cdnow_summary.csv
(x, t_x, T in weeks; zbar = mean repeat transaction value).

Sources of the figures:
- Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2) 275-284, Sec. 7: r = 0.243, alpha = 4.414,
  a = 0.793, b = 2.426, LL = -9582.4.
- Hardie's BG/NBD spreadsheet (as asserted in lifetimes' test suite): E[X(t)] for a new
  customer at t = 0.1429, 1, 3, 31.8571, 32, 78 weeks is 0.0078, 0.0532, 0.1506, 1.0405, 1.0437,
  1.8576; customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in 39 weeks.
- Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (note 025), 946 repeat
  customers: p = 6.25, q = 3.74, gamma = 15.44.
- lifetimes 0.11.3 (BetaGeoFitter, GammaGammaFitter, customer_lifetime_value with time=12,
  discount_rate=0.01, freq="W") on the same file, for P(alive), conditional spend and CLV.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from crmcore.adapters.clv import Columns, NumpyClvModel, bgnbd
from crmcore.domain.clv import ClvFit, CustomerSummary, TimeUnit
from crmcore.ports.clv import ClvModel

DATA = Path(__file__).resolve().parents[2] / "data"
CALIBRATION_END = date(1997, 9, 30)


def _cdnow() -> list[CustomerSummary]:
    with (DATA / "cdnow_summary.csv").open() as file:
        return [
            CustomerSummary(
                customer_id=row["ID"],
                frequency=int(row["x"]),
                recency=float(row["t_x"]),
                T=float(row["T"]),
                monetary_value=Decimal(row["zbar"]),
            )
            for row in csv.DictReader(file)
        ]


CUSTOMERS = _cdnow()
MODEL: ClvModel = NumpyClvModel()


@pytest.fixture(scope="module")
def fit() -> ClvFit:
    return MODEL.fit(CUSTOMERS, as_of=CALIBRATION_END, unit=TimeUnit.WEEKS)


def test_bg_nbd_reproduces_the_paper(fit: ClvFit) -> None:
    """Published to 3 decimals (LL to 1): each estimate must round to the printed figure."""
    p = fit.bg_nbd
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(p.log_likelihood, 1) == -9582.4
    assert fit.customers == 2357


def test_gamma_gamma_reproduces_the_note(fit: ClvFit) -> None:
    """p and q round to the published 6.25 and 3.74 on 946 customers. gamma: the maximum is
    at 15.4477 (lifetimes finds the same), which the note prints as 15.44: we allow 0.01."""
    g = fit.gamma_gamma
    assert g is not None
    assert g.customers == 946
    assert (round(g.p, 2), round(g.q, 2)) == (6.25, 3.74)
    assert g.gamma == pytest.approx(15.44, abs=0.01)


def test_new_customer_expectation_matches_the_spreadsheet(fit: ClvFit) -> None:
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    got = [bgnbd.expected_purchases(fit.bg_nbd, t) for t in times]
    assert got == pytest.approx(expected, abs=1e-3)


def test_customer_one_expects_1_226_purchases_in_39_weeks(fit: ClvFit) -> None:
    one = np.array([2.0]), np.array([30.43]), np.array([38.86])
    got = bgnbd.conditional_expected_purchases(fit.bg_nbd, 39.0, *one)
    assert got[0] == pytest.approx(1.226, abs=1e-3)


# customer id: (P(alive), E[Y(39 weeks)], E[spend], 12-month CLV at 1 % a month) from lifetimes
LIFETIMES = {
    "1": (0.726609136799059, 1.2259104241743999, 24.658616189236472, 36.27849576362541),
    "3": (1.0, 0.1947808579394776, 35.17100215250665, 8.344093121809983),
    "6": (0.6418006393519146, 3.3372396465268497, 71.46285080453453, 283.5235925903832),
    "18": (0.310915280966149, 0.297764230720575, 17.674697381966816, 6.349622110038234),
    "1000": (0.6803513542049571, 2.352955132289904, 18.13106328096618, 50.70227018097715),
    "2357": (1.0, 0.2589775055748141, 35.17100215250665, 11.017135935942237),
}


def test_predictions_match_lifetimes(fit: ClvFit) -> None:
    chosen = [c for c in CUSTOMERS if c.customer_id in LIFETIMES]
    twelve_months = MODEL.predict(fit, chosen, horizon=12, discount_rate=0.01)
    horizon_39_weeks = MODEL.predict(fit, chosen, horizon=39 / 4.345, discount_rate=0.0)
    for pred, later in zip(twelve_months, horizon_39_weeks, strict=True):
        alive, purchases, value, clv = LIFETIMES[pred.customer_id]
        assert pred.p_alive == pytest.approx(alive, rel=1e-5)
        assert later.expected_purchases == pytest.approx(purchases, rel=1e-5)
        assert pred.expected_avg_value is not None
        assert pred.clv is not None
        assert float(pred.expected_avg_value) == pytest.approx(value, rel=1e-5)
        assert float(pred.clv) == pytest.approx(clv, rel=1e-5)


def test_summaries_and_columns_fit_alike(fit: ClvFit) -> None:
    columns = Columns(
        frequency=[c.frequency for c in CUSTOMERS],
        recency=[c.recency for c in CUSTOMERS],
        T=[c.T for c in CUSTOMERS],
        monetary_value=[float(c.monetary_value) for c in CUSTOMERS],
    )
    assert MODEL.fit(columns, as_of=CALIBRATION_END, unit=TimeUnit.WEEKS) == fit

"""CLV use cases on memory: fit, predict, refresh on a purchase, statuses and actions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from returns.result import Failure, Success

from crmcore.app.clv.clv import (
    clv_statuses,
    fit_clv,
    predict_clv,
    refresh_customer,
    traditional_clv,
)
from crmcore.app.errors import AppError
from crmcore.app.importing.transactions import TransactionRow, import_transactions
from crmcore.domain.activity import Activity
from crmcore.domain.clv import TimeUnit
from crmcore.domain.clv_status import (
    ClvFitted,
    ClvPredictionUpdated,
    ClvRules,
    ClvStatus,
    ClvStatusDetected,
)
from crmcore.domain.errors import RuleViolation
from crmcore.domain.money import Money
from tests.unit.clv.seeding import (
    CDNOW_CALIBRATION_END,
    CDNOW_PUBLISHED,
    Purchase,
    Seeded,
    cdnow_purchases,
    seeded_app,
)

NOW = datetime(1998, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def cdnow_purchase_rows() -> list[Purchase]:
    return cdnow_purchases()


@pytest.fixture
def cdnow(cdnow_purchase_rows: list[Purchase]) -> Seeded:
    return seeded_app(cdnow_purchase_rows, now=NOW)


def _events(seeded: Seeded, kind: type) -> list[object]:
    return [r.envelope.payload for r in seeded.db.outbox if isinstance(r.envelope.payload, kind)]


def _tasks(seeded: Seeded) -> list[Activity]:
    return list(seeded.db.table("activities").values())


def _refusal(result: object) -> str:
    assert isinstance(result, Failure)
    error: AppError = result.failure()
    assert isinstance(error, RuleViolation)
    return str(error)


def test_fit_on_cdnow_reproduces_the_published_parameters(cdnow: Seeded) -> None:
    fit = fit_clv(cdnow.app, as_of=CDNOW_CALIBRATION_END, unit=TimeUnit.WEEKS).unwrap()
    got = {"r": fit.bg_nbd.r, "alpha": fit.bg_nbd.alpha, "a": fit.bg_nbd.a, "b": fit.bg_nbd.b}
    assert {k: round(v, 3) for k, v in got.items()} == CDNOW_PUBLISHED
    assert fit.customers == 2357
    assert fit.gamma_gamma is not None
    assert fit.gamma_gamma.customers == 946
    with cdnow.app.uow() as uow:
        assert uow.clv.latest_fit() == fit
    (event,) = _events(cdnow, ClvFitted)
    assert isinstance(event, ClvFitted)
    assert event.customers == 2357


def test_predictions_are_stored_and_use_the_fit(cdnow: Seeded) -> None:
    fit_clv(cdnow.app, as_of=CDNOW_CALIBRATION_END, unit=TimeUnit.WEEKS).unwrap()
    at_fit = predict_clv(cdnow.app, horizon=12, as_of=CDNOW_CALIBRATION_END).unwrap()
    assert len(at_fit) == 2357
    assert all(0 <= p.p_alive <= 1 and p.expected_purchases >= 0 for p in at_fit)
    assert all(p.clv is not None and p.clv >= 0 for p in at_fit)
    longer = predict_clv(cdnow.app, horizon=24, as_of=CDNOW_CALIBRATION_END).unwrap()
    assert all(b.clv >= a.clv for a, b in zip(at_fit, longer, strict=True))  # type: ignore[operator]
    with cdnow.app.uow() as uow:
        stored = uow.clv.predictions()
    assert [s.prediction for s in stored] == sorted(longer, key=lambda p: p.customer_id)
    assert {s.horizon for s in stored} == {24}


def test_predict_without_a_fit_or_in_another_unit_is_refused(cdnow: Seeded) -> None:
    assert "run `crm clv fit` first" in _refusal(predict_clv(cdnow.app, horizon=12))
    fit_clv(cdnow.app, as_of=CDNOW_CALIBRATION_END, unit=TimeUnit.WEEKS).unwrap()
    assert "refit with --unit days" in _refusal(
        predict_clv(cdnow.app, horizon=12, unit=TimeUnit.DAYS)
    )
    bad = predict_clv(cdnow.app, horizon=-1, discount_rate=-2)
    assert isinstance(bad, Failure)
    assert {e.field for e in bad.failure().errors} == {"horizon", "discount_rate"}


def _day(n: int) -> datetime:
    return datetime(2025, 1, 1, 10, tzinfo=UTC) + timedelta(days=n)


@pytest.mark.parametrize(
    ("purchases", "expected"),
    [
        ([], "no purchases"),
        ([("a", _day(0), Decimal(10)), ("b", _day(3), Decimal(5))], "repeat"),
        ([("a", _day(0), Decimal(10)), ("a", _day(9), Decimal(5))], ""),
        (
            [(c, _day(d), Decimal("1e300")) for c in "abc" for d in (0, 20, 40)],
            "",
        ),
    ],
    ids=["empty", "no-repeats", "one-customer", "huge-values"],
)
def test_awkward_data_gives_a_clear_refusal_or_a_fit(
    purchases: list[Purchase], expected: str
) -> None:
    seeded = seeded_app(purchases, now=_day(60))
    result = fit_clv(seeded.app, as_of=_day(60).date())
    if isinstance(result, Success):
        fit = result.unwrap()
        assert fit.customers == len({p[0] for p in purchases})
        return
    message = _refusal(result)
    assert "\n" not in message
    assert message.startswith("clv.fit: ")
    assert expected in message
    with seeded.app.uow() as uow:
        assert uow.clv.latest_fit() is None


def test_a_purchase_refreshes_the_customers_prediction_with_the_stored_fit(
    cdnow: Seeded,
) -> None:
    fit = fit_clv(cdnow.app, as_of=CDNOW_CALIBRATION_END, unit=TimeUnit.WEEKS).unwrap()
    customer = cdnow.contacts["0004"]
    assert refresh_customer(cdnow.app, customer_id=customer).unwrap() is not None
    with cdnow.app.uow() as uow:
        before = uow.clv.prediction(str(customer))
    assert before is not None
    row = TransactionRow(
        customer_id="0004",
        occurred_at=datetime(1998, 7, 1, 9, tzinfo=UTC),
        amount=Money(Decimal("40.00"), "USD"),
        transaction_id="new-1",
    )
    import_transactions(cdnow.app, [row]).unwrap()
    with cdnow.app.uow() as uow:
        after = uow.clv.prediction(str(customer))
        assert uow.clv.latest_fit() == fit  # refreshing never refits
    assert after is not None
    assert after.prediction.frequency == before.prediction.frequency + 1
    assert after.prediction.clv > before.prediction.clv  # type: ignore[operator]
    assert after.prediction.recency == after.prediction.T
    updated = _events(cdnow, ClvPredictionUpdated)
    assert [e.customer for e in updated] == [customer, customer]  # type: ignore[attr-defined]


def test_refresh_without_a_fit_does_nothing(cdnow: Seeded) -> None:
    customer = cdnow.contacts["0004"]
    assert refresh_customer(cdnow.app, customer_id=customer).unwrap() is None
    with cdnow.app.uow() as uow:
        assert uow.clv.predictions() == []


def test_statuses_create_each_action_once_per_customer_status_and_day(cdnow: Seeded) -> None:
    fit_clv(cdnow.app, as_of=CDNOW_CALIBRATION_END, unit=TimeUnit.WEEKS).unwrap()
    first = clv_statuses(cdnow.app).unwrap()
    assert {r.status for r in first} == {ClvStatus.HOT, ClvStatus.LEAVING}
    assert all(r.activity_id is not None for r in first)
    tasks = _tasks(cdnow)
    assert len(tasks) == len(first) == len(_events(cdnow, ClvStatusDetected))
    again = clv_statuses(cdnow.app).unwrap()
    assert [(r.customer_id, r.status) for r in again] == [(r.customer_id, r.status) for r in first]
    assert all(r.activity_id is None for r in again)
    assert len(_tasks(cdnow)) == len(tasks)
    leaving = clv_statuses(cdnow.app, status=ClvStatus.LEAVING, act=False).unwrap()
    assert leaving
    assert all(r.status is ClvStatus.LEAVING for r in leaving)
    assert all(r.p_alive is not None and r.p_alive < 0.3 for r in leaving)
    subjects = {t.subject for t in tasks}
    assert subjects == {"Send a personalised offer email", "Call with an individual offer"}


def test_status_rules_are_configurable(cdnow: Seeded) -> None:
    fit_clv(cdnow.app, as_of=CDNOW_CALIBRATION_END, unit=TimeUnit.WEEKS).unwrap()
    strict = ClvRules(leaving_p_alive=0.01, hot_top_share=0.0)
    rows = clv_statuses(cdnow.app, rules=strict, act=False).unwrap()
    default = clv_statuses(cdnow.app, act=False).unwrap()
    assert len([r for r in rows if r.status is ClvStatus.LEAVING]) < len(
        [r for r in default if r.status is ClvStatus.LEAVING]
    )


def test_new_customers_get_the_welcome_path() -> None:
    purchases = [("old", _day(0), Decimal(10)), ("old", _day(50), Decimal(10))]
    purchases += [("fresh", _day(95), Decimal(20))]
    seeded = seeded_app(purchases, now=_day(100))
    rows = clv_statuses(seeded.app, as_of=_day(100).date()).unwrap()
    assert [(r.user_id, r.status, r.action) for r in rows] == [
        ("fresh", ClvStatus.NEW, "welcome path")
    ]


def test_traditional_clv_per_customer_and_per_segment() -> None:
    purchases = [("a", _day(d), Decimal(100)) for d in (0, 100, 200, 300)]
    purchases += [("b", _day(360), Decimal(50))]
    seeded = seeded_app(purchases, now=_day(364))
    as_of = _day(364).date()
    rows = traditional_clv(seeded.app, as_of=as_of, lifetime_years=Decimal(2)).unwrap()
    by_customer = {r.key: r for r in rows}
    a = by_customer[str(seeded.contacts["a"])]
    assert a.orders == 4
    assert a.average_order_value == 100
    assert a.clv == Decimal(100) * (4 / (Decimal(365) / Decimal("365.25"))) * 2
    segments = traditional_clv(
        seeded.app, as_of=as_of, lifetime_years=Decimal(2), by_segment=True
    ).unwrap()
    assert sum(s.customers for s in segments) == 2
    total = sum((s.clv * s.customers for s in segments), Decimal(0))
    assert abs(total - sum(r.clv for r in rows)) < Decimal("1e-20")


def test_as_of_before_any_purchase_is_refused() -> None:
    seeded = seeded_app([("a", _day(10), Decimal(1))], now=_day(20))
    assert "no purchases on or before" in _refusal(fit_clv(seeded.app, as_of=date(2024, 1, 1)))

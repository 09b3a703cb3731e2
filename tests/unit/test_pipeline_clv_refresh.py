"""A purchase arriving through the event pipeline refreshes that customer's CLV."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from crmcore.adapters.system import FixedClock
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.app.events.worker import ingest_events, process_inbox
from crmcore.domain.clv import BgNbdParams, ClvFit, GammaGammaParams, TimeUnit

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
FIT = ClvFit(
    as_of=date(2026, 2, 1),
    unit=TimeUnit.WEEKS,
    customers=946,
    bg_nbd=BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4),
    gamma_gamma=GammaGammaParams(p=6.25, q=3.74, gamma=15.44, customers=946),
)


def _purchase(n: int, days_ago: int, amount: str) -> dict[str, Any]:
    return {
        "id": f"p{n}",
        "type": "purchase",
        "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
        "customer": {"user_id": "u-1", "email": "ann@example.com"},
        "data": {"amount": amount, "currency": "USD"},
    }


def test_purchases_through_the_pipeline_refresh_the_prediction_once_per_batch() -> None:
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(NOW))
    with app.uow() as uow:
        uow.clv.save_fit(FIT, fitted_at=NOW)
        uow.commit()
    events = [_purchase(1, 60, "30.00"), _purchase(2, 40, "50.00"), _purchase(3, 10, "70.00")]
    ingest_events(app, events).unwrap()
    assert process_inbox(app, batch=10).unwrap().done == 3
    with app.uow() as uow:
        contact = next(iter(uow.contacts.find_many(user_ids=["u-1"])), None)
        assert contact is not None
        stored = uow.clv.prediction(str(contact.id))
    assert stored is not None
    # three purchase days: two repeats, the first 60 days before the as_of day
    assert stored.prediction.frequency == 2
    assert stored.prediction.clv is not None
    assert stored.prediction.clv > 0
    assert 0 < stored.prediction.p_alive <= 1


def test_without_a_fit_the_pipeline_stores_no_prediction() -> None:
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(NOW))
    ingest_events(app, [_purchase(1, 5, "10.00")]).unwrap()
    assert process_inbox(app, batch=10).unwrap().done == 1
    with app.uow() as uow:
        assert uow.clv.predictions() == []

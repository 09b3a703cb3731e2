"""CLV use cases: fit, predict, refresh on a purchase, statuses with actions, and the
traditional formula per customer and per RFM segment.

- ``fit_clv`` summarises every customer where the transactions are (one grouped query on
  SQL), fits the model behind ``app.clv_model`` and stores the fit.
- ``predict_clv`` forecasts every customer with the stored fit and stores the predictions.
- ``refresh_customer`` (and ``refresh_in``, called by the transaction import in the same
  unit of work) recomputes the affected customers' predictions with the stored fit.
- ``clv_statuses`` applies the rules of ``docs/clv.md`` and creates each status's action
  once per customer, status and day (a task and a ``crm.clv.status_detected`` event).

Predictions and statuses are made as of the *data day*: the fit's as-of date, moved forward
to the latest purchase stored (never past today), unless an ``as_of`` is given.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.app.progress import Progress, chunks
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.clv import (
    DAYS_PER_YEAR,
    ClvFit,
    ClvFitError,
    ClvPrediction,
    CustomerSummary,
    PurchaseHistory,
    TimeUnit,
)
from crmcore.domain.clv import traditional_clv as traditional_formula
from crmcore.domain.clv_status import (
    ClvFitted,
    ClvPredictionUpdated,
    ClvRules,
    ClvStatus,
    ClvStatusDetected,
    StatusFacts,
    StoredPrediction,
    classify,
    top_value_threshold,
)
from crmcore.domain.errors import FieldError, InvalidInput, RuleViolation
from crmcore.domain.ids import ActivityId, ContactId
from crmcore.ports.clv import ClvModel
from crmcore.ports.uow import UnitOfWork

log = logging.getLogger(__name__)

#: The consumer name under which status actions are claimed (idempotency).
#: Customers predicted between two progress reports (the model is vectorised per chunk).
PREDICT_CHUNK = 20_000
STATUS_CONSUMER = "crm.clv.status"
_ACTION_NAMESPACE = uuid.UUID("0c6a4f53-5d55-4a0e-8d37-2f7f6a1c9c09")

#: Task subject of each status's action.
SUBJECTS: dict[ClvStatus, str] = {
    ClvStatus.HOT: "Send a personalised offer email",
    ClvStatus.LEAVING: "Call with an individual offer",
    ClvStatus.NEW: "Start the welcome path",
}


@attrs.frozen(kw_only=True)
class _Columns:
    """Summaries as plain columns (the port's ``SummaryColumns``)."""

    frequency: list[float]
    recency: list[float]
    T: list[float]
    monetary_value: list[float]


def _columns(histories: Sequence[PurchaseHistory], *, as_of: date, unit: TimeUnit) -> _Columns:
    frequency, recency, T, money = [], [], [], []
    per = unit.days
    for h in histories:
        repeats = h.purchase_days - 1
        frequency.append(float(repeats))
        recency.append((h.last_day - h.first_day).days / per)
        T.append((as_of - h.first_day).days / per)
        money.append(_float(h.repeat_total / repeats) if repeats else 0.0)
    return _Columns(frequency=frequency, recency=recency, T=T, monetary_value=money)


def _float(value: Decimal) -> float:
    try:
        return float(value)
    except OverflowError:  # pragma: no cover - Decimal -> float gives inf, not an error
        return math.inf


def _refused(rule: str, detail: str) -> Failure[AppError]:
    return Failure(RuleViolation(rule=rule, detail=detail))


def _model(app: App) -> ClvModel | None:
    return app.clv_model


def fit_clv(app: App, *, as_of: date, unit: TimeUnit = TimeUnit.WEEKS) -> Result[ClvFit, AppError]:
    """Fit BG/NBD + Gamma-Gamma on every customer's purchases up to ``as_of``; store it.

    Data a model cannot support (no purchases, nobody repeating, one customer, overflowing
    values) is a ``RuleViolation`` whose detail says why, never an exception.
    """
    model = _model(app)
    if model is None:
        return _refused("clv.fit", "no CLV model is configured")

    def work(uow: UnitOfWork) -> Result[ClvFit, AppError]:
        histories = uow.clv.purchase_histories(as_of=as_of)
        if not histories:
            return _refused("clv.fit", f"no purchases on or before {as_of}: nothing to fit")
        columns = _columns(histories, as_of=as_of, unit=unit)
        try:
            fit = model.fit(columns, as_of=as_of, unit=unit)
        except ClvFitError as error:
            return _refused("clv.fit", error.reason)
        except (ValueError, ArithmeticError) as error:
            return _refused("clv.fit", f"the data cannot be fitted: {error}")
        uow.clv.save_fit(fit, fitted_at=app.clock.now())
        uow.record(
            ClvFitted(
                as_of=fit.as_of,
                unit=fit.unit.value,
                customers=fit.customers,
                r=fit.bg_nbd.r,
                alpha=fit.bg_nbd.alpha,
                a=fit.bg_nbd.a,
                b=fit.bg_nbd.b,
            )
        )
        return Success(fit)

    return transact(app, work)


def latest_fit(app: App) -> Result[ClvFit | None, AppError]:
    """The stored fit, if any."""
    return transact(app, lambda uow: Success(uow.clv.latest_fit()), commit=False)


def _histories_and_day(
    app: App, uow: UnitOfWork, fit: ClvFit | None, as_of: date | None
) -> tuple[Sequence[PurchaseHistory], date]:
    """Histories and the day they are taken at (``as_of``, else the data day)."""
    if as_of is not None:
        return uow.clv.purchase_histories(as_of=as_of), as_of
    today = app.clock.now().date()
    horizon = today if fit is None else max(today, fit.as_of)
    histories = uow.clv.purchase_histories(as_of=horizon)
    days = [h.last_day for h in histories]
    if fit is not None:
        days.append(fit.as_of)
    return histories, max(days, default=today)


def _check_forecast(horizon: float, discount_rate: float) -> InvalidInput | None:
    errors = []
    if not (math.isfinite(horizon) and horizon >= 0):
        errors.append(FieldError(field="horizon", value=str(horizon), reason="must be >= 0"))
    if not (math.isfinite(discount_rate) and discount_rate > -1):
        errors.append(
            FieldError(field="discount_rate", value=str(discount_rate), reason="must be > -1")
        )
    return InvalidInput(errors=tuple(errors)) if errors else None


def _predict(
    model: ClvModel,
    fit: ClvFit,
    summaries: Sequence[CustomerSummary],
    *,
    horizon: float,
    discount_rate: float,
) -> Result[list[ClvPrediction], AppError]:
    try:
        return Success(model.predict(fit, summaries, horizon=horizon, discount_rate=discount_rate))
    except ClvFitError as error:
        return _refused("clv.predict", error.reason)
    except (ValueError, ArithmeticError) as error:
        return _refused("clv.predict", f"cannot predict: {error}")


def predict_clv(
    app: App,
    *,
    horizon: float,
    unit: TimeUnit | None = None,
    discount_rate: float = 0.01,
    as_of: date | None = None,
    store: bool = True,
    progress: Progress | None = None,
) -> Result[list[ClvPrediction], AppError]:
    """Every customer's forecast ``horizon`` months ahead with the stored fit.

    ``unit`` (when given) must be the fit's; ``discount_rate`` is monthly. The predictions
    are stored (``store=False``: only returned). ``progress(done, total)`` hears of each
    chunk of customers predicted.
    """
    invalid = _check_forecast(horizon, discount_rate)
    if invalid is not None:
        return Failure(invalid)
    model = _model(app)
    if model is None:
        return _refused("clv.predict", "no CLV model is configured")

    def work(uow: UnitOfWork) -> Result[list[ClvPrediction], AppError]:
        fit = uow.clv.latest_fit()
        if fit is None:
            return _refused("clv.predict", "no CLV fit stored: run `crm clv fit` first")
        if unit is not None and unit is not fit.unit:
            return _refused(
                "clv.predict",
                f"the stored fit is in {fit.unit.value}: refit with --unit {unit.value}",
            )
        histories, day = _histories_and_day(app, uow, fit, as_of)
        summaries = [h.summary(as_of=day, unit=fit.unit) for h in histories]
        predicted: list[ClvPrediction] = []
        for chunk in chunks(summaries, progress, size=PREDICT_CHUNK):
            part = _predict(model, fit, chunk, horizon=horizon, discount_rate=discount_rate)
            if isinstance(part, Failure):
                return part
            predicted += part.unwrap()
        if store:
            now = app.clock.now()
            uow.clv.put_predictions(
                [
                    StoredPrediction(
                        prediction=p, horizon=horizon, discount_rate=discount_rate, computed_at=now
                    )
                    for p in predicted
                ]
            )
        return Success(predicted)

    return transact(app, work)


def refresh_in(app: App, uow: UnitOfWork, customers: Iterable[ContactId]) -> list[ClvPrediction]:
    """Recompute these customers' predictions with the stored fit, in ``uow``.

    Called when purchases land. Without a model or a fit it does nothing; data the model
    refuses is logged and skipped (a purchase is never lost for a forecast). Each customer
    keeps the horizon and rate of their last prediction (else the rules' defaults).
    """
    model = _model(app)
    ids = sorted({str(c) for c in customers})
    if model is None or not ids:
        return []
    fit = uow.clv.latest_fit()
    if fit is None:
        return []
    today = app.clock.now().date()
    histories = uow.clv.purchase_histories(as_of=max(today, fit.as_of), customers=ids)
    rules = ClvRules()
    now = app.clock.now()
    stored: list[StoredPrediction] = []
    previous = uow.clv.predictions_of([h.customer_id for h in histories])
    for h in histories:
        before = previous.get(h.customer_id)
        horizon = before.horizon if before else rules.horizon_months
        rate = before.discount_rate if before else rules.discount_rate
        summary = h.summary(as_of=max(fit.as_of, h.last_day), unit=fit.unit)
        result = _predict(model, fit, [summary], horizon=horizon, discount_rate=rate)
        if isinstance(result, Failure):
            log.warning("CLV refresh of %s skipped: %s", h.customer_id, result.failure())
            continue
        (prediction,) = result.unwrap()
        stored.append(
            StoredPrediction(
                prediction=prediction, horizon=horizon, discount_rate=rate, computed_at=now
            )
        )
        uow.record(
            ClvPredictionUpdated(
                customer=uuid.UUID(h.customer_id),
                expected_purchases=prediction.expected_purchases,
                p_alive=prediction.p_alive,
                clv=None if prediction.clv is None else str(prediction.clv),
            )
        )
    uow.clv.put_predictions(stored)
    return [s.prediction for s in stored]


def refresh_customer(app: App, *, customer_id: ContactId) -> Result[ClvPrediction | None, AppError]:
    """Recompute one customer's prediction with the stored fit; None without fit or purchase."""

    def work(uow: UnitOfWork) -> Result[ClvPrediction | None, AppError]:
        done = refresh_in(app, uow, [customer_id])
        return Success(done[0] if done else None)

    return transact(app, work)


@attrs.frozen(kw_only=True)
class CustomerStatus:
    """A customer with a status, its action, and the task created for it (if new today)."""

    customer_id: str
    user_id: str | None
    status: ClvStatus
    action: str
    reasons: tuple[str, ...]
    p_alive: float | None
    clv: Decimal | None
    day: date
    activity_id: ActivityId | None


def _engagement_day(contact_attributes: dict[str, Any], key: str) -> date | None:
    section = contact_attributes.get("engagement", {})
    raw = section.get(key) if isinstance(section, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw).date()
    except ValueError:
        return None


def action_key(customer_id: str, status: ClvStatus, day: date) -> uuid.UUID:
    """The idempotency key of a status's action: one per customer, status and day."""
    return uuid.uuid5(_ACTION_NAMESPACE, f"{customer_id}|{status.value}|{day.isoformat()}")


def clv_statuses(
    app: App,
    *,
    status: ClvStatus | None = None,
    rules: ClvRules | None = None,
    as_of: date | None = None,
    act: bool = True,
) -> Result[list[CustomerStatus], AppError]:
    """Customers with a status (all, or only ``status``), each with its action.

    With ``act`` the action of each listed status is created once per customer, status and
    day: a task (hot: offer email, leaving: a manager's call with an individual offer, new:
    the welcome path) and a ``crm.clv.status_detected`` event; recomputing adds nothing.
    """
    rules = rules or ClvRules()
    model = _model(app)

    def work(uow: UnitOfWork) -> Result[list[CustomerStatus], AppError]:
        fit = uow.clv.latest_fit()
        histories, day = _histories_and_day(app, uow, fit, as_of)
        alive: dict[str, float] = {}
        values: dict[str, Decimal] = {}
        if fit is not None and model is not None and histories:
            summaries = [h.summary(as_of=day, unit=fit.unit) for h in histories]
            predicted = _predict(
                model,
                fit,
                summaries,
                horizon=rules.horizon_months,
                discount_rate=rules.discount_rate,
            )
            if isinstance(predicted, Failure):
                return predicted
            for p in predicted.unwrap():
                alive[p.customer_id] = p.p_alive
                if p.clv is not None:
                    values[p.customer_id] = p.clv
        top = top_value_threshold(list(values.values()), rules.hot_top_share)
        contacts = {str(c.id): c for c in uow.contacts.list(include_archived=True)}
        now = app.clock.now()
        rows: list[CustomerStatus] = []
        for h in histories:
            contact = contacts.get(h.customer_id)
            attributes = contact.attributes if contact is not None else {}
            decision = classify(
                StatusFacts(
                    history=h,
                    p_alive=alive.get(h.customer_id),
                    clv=values.get(h.customer_id),
                    last_email_response=_engagement_day(attributes, "last_email_response_at"),
                    last_login=_engagement_day(attributes, "last_login_at"),
                ),
                day=day,
                rules=rules,
                top_value=top,
            )
            if decision is None or (status is not None and decision.status is not status):
                continue
            if contact is not None and contact.archived:
                continue
            activity_id = None
            if act and contact is not None:
                activity_id = _act(app, uow, contact.id, decision.status, decision, day, rules, now)
            rows.append(
                CustomerStatus(
                    customer_id=h.customer_id,
                    user_id=contact.user_id if contact is not None else None,
                    status=decision.status,
                    action=decision.action,
                    reasons=decision.reasons,
                    p_alive=alive.get(h.customer_id),
                    clv=values.get(h.customer_id),
                    day=day,
                    activity_id=activity_id,
                )
            )
        return Success(rows)

    return transact(app, work)


def _act(
    app: App,
    uow: UnitOfWork,
    contact_id: ContactId,
    status: ClvStatus,
    decision: Any,
    day: date,
    rules: ClvRules,
    now: datetime,
) -> ActivityId | None:
    """Create the status's task and event unless they exist for this customer and day."""
    if not uow.processed.claim(STATUS_CONSUMER, action_key(str(contact_id), status, day), at=now):
        return None
    due = now + timedelta(days=rules.call_due_days) if status is ClvStatus.LEAVING else now
    activity = Activity(
        id=ActivityId(app.ids.new()),
        type=ActivityType.TASK,
        subject=SUBJECTS[status],
        description=f"CLV status {status.value}: {'; '.join(decision.reasons)}",
        contact_id=contact_id,
        due_at=due,
        created_at=now,
    )
    uow.activities.add(activity)
    uow.record(
        ClvStatusDetected(
            customer=contact_id,
            status=status.value,
            action=decision.action,
            reasons="; ".join(decision.reasons),
            day=day,
            activity_id=activity.id,
        )
    )
    return activity.id


@attrs.frozen(kw_only=True)
class TraditionalClv:
    """Traditional CLV of one customer or (mean over members) one RFM segment."""

    key: str
    customers: int
    orders: int
    average_order_value: Decimal
    purchase_frequency: Decimal
    clv: Decimal


def traditional_clv(
    app: App,
    *,
    as_of: date,
    window_days: int = 365,
    lifetime_years: Decimal = Decimal(3),
    by_segment: bool = False,
) -> Result[list[TraditionalClv], AppError]:
    """Average order value x orders per year x expected lifetime (years), per customer.

    Orders are the purchases in the ``window_days`` ending on ``as_of``. ``by_segment``
    gives each RFM segment's mean over its members (a member without orders counts 0).
    """
    if window_days < 1 or lifetime_years <= 0:
        return Failure(
            InvalidInput(
                errors=(
                    FieldError(
                        field="window_days/lifetime_years",
                        value=f"{window_days}/{lifetime_years}",
                        reason="must both be positive",
                    ),
                )
            )
        )
    years = Decimal(window_days) / DAYS_PER_YEAR

    def work(uow: UnitOfWork) -> Result[list[TraditionalClv], AppError]:
        start = as_of - timedelta(days=window_days - 1)
        per_customer = []
        for customer, orders, total in uow.clv.window_totals(start=start, end=as_of):
            aov = total / orders
            frequency = orders / years
            per_customer.append(
                TraditionalClv(
                    key=customer,
                    customers=1,
                    orders=orders,
                    average_order_value=aov,
                    purchase_frequency=frequency,
                    clv=traditional_formula(aov, frequency, lifetime_years),
                )
            )
        if not by_segment:
            return Success(per_customer)
        by_id = {row.key: row for row in per_customer}
        members: dict[str, list[TraditionalClv | None]] = {}
        for rfm in uow.transactions.rfm(as_of=as_of):
            members.setdefault(rfm.segment.value, []).append(by_id.get(str(rfm.customer)))
        return Success([_segment(name, rows) for name, rows in sorted(members.items())])

    return transact(app, work, commit=False)


def _segment(name: str, rows: Sequence[TraditionalClv | None]) -> TraditionalClv:
    present = [r for r in rows if r is not None]
    count = len(rows)
    orders = sum(r.orders for r in present)
    return TraditionalClv(
        key=name,
        customers=count,
        orders=orders,
        average_order_value=(
            sum((r.average_order_value for r in present), Decimal(0)) / len(present)
            if present
            else Decimal(0)
        ),
        purchase_frequency=sum((r.purchase_frequency for r in present), Decimal(0)) / count,
        clv=sum((r.clv for r in present), Decimal(0)) / count,
    )


def customer_labels(app: App) -> Result[dict[str, str], AppError]:
    """Contact id → the source's customer id (``user_id``), for contacts that have one."""
    return transact(
        app,
        lambda uow: Success(
            {str(c.id): c.user_id for c in uow.contacts.list(include_archived=True) if c.user_id}
        ),
        commit=False,
    )

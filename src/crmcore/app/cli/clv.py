"""``crm clv``: fit the CLV models, predict, list statuses, traditional CLV.

The contract (docs/clv.md): ``fit --as-of DATE [--unit weeks|days] --format json`` prints
the stored fit; ``predict --horizon N`` one record per customer; ``status [--status S]``
customers with their status and action. ``customer_id`` is the source's customer id (the
contact's ``user_id``), else the contact id. Refused data exits 1 with one line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import click

from crmcore.app.cli.context import app_from, note, state_from, unwrap
from crmcore.app.cli.intel_render import render
from crmcore.app.cli.progress import bar_for
from crmcore.app.cli.views import record
from crmcore.app.clv.clv import (
    clv_statuses,
    customer_labels,
    fit_clv,
    predict_clv,
    traditional_clv,
)
from crmcore.app.config import load_config
from crmcore.domain.clv import ClvFit, TimeUnit
from crmcore.domain.clv_status import ClvStatus

UNIT = click.Choice([u.value for u in TimeUnit])
PREDICTION_FIELDS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "expected_purchases",
    "p_alive",
    "expected_avg_value",
    "clv",
)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def fit_record(fit: ClvFit) -> dict[str, Any]:
    """The fit as the CLI prints it."""
    gg = fit.gamma_gamma
    return {
        "as_of": fit.as_of.isoformat(),
        "unit": fit.unit.value,
        "customers": fit.customers,
        "bg_nbd": {
            "r": fit.bg_nbd.r,
            "alpha": fit.bg_nbd.alpha,
            "a": fit.bg_nbd.a,
            "b": fit.bg_nbd.b,
            "log_likelihood": fit.bg_nbd.log_likelihood,
        },
        "gamma_gamma": None
        if gg is None
        else {"p": gg.p, "q": gg.q, "gamma": gg.gamma, "customers": gg.customers},
    }


@click.group("clv")
def clv() -> None:
    """Customer lifetime value: fit, predict, statuses (hot/leaving/new), traditional."""


@clv.command("fit")
@click.option("--as-of", "as_of", required=True, callback=_date, help="YYYY-MM-DD (included).")
@click.option(
    "--unit",
    type=UNIT,
    default="weeks",
    show_default=True,
    help="Time unit the model measures recency and age in (predict must use the same).",
)
@click.pass_context
def fit_cmd(ctx: click.Context, as_of: date, unit: str) -> None:
    """Fit BG/NBD + Gamma-Gamma on every customer's purchases and store the fit."""
    fit = unwrap(fit_clv(app_from(ctx), as_of=as_of, unit=TimeUnit(unit)))
    record = fit_record(fit)
    out = state_from(ctx).fmt
    if out == "json":
        click.echo(json.dumps(record, indent=2))
        return
    flat = {
        "as_of": record["as_of"],
        "unit": record["unit"],
        "customers": record["customers"],
        **{f"bg_nbd.{k}": v for k, v in record["bg_nbd"].items()},
        **{f"gamma_gamma.{k}": v for k, v in (record["gamma_gamma"] or {}).items()},
    }
    click.echo(render([flat], list(flat), out))
    if fit.gamma_gamma_error:
        click.echo(f"note: no spend model: {fit.gamma_gamma_error}", err=True)


def _label(labels: Mapping[str, str], customer_id: str) -> str:
    return labels.get(customer_id, customer_id)


@clv.command("predict")
@click.option("--horizon", type=float, required=True, help="Months ahead.")
@click.option("--unit", type=UNIT, default=None, help="Must match the stored fit's unit.")
@click.option(
    "--discount-rate",
    "discount_rate",
    type=float,
    default=0.01,
    show_default=True,
    help="Monthly discount rate.",
)
@click.option("--as-of", "as_of", callback=_date, default=None, help="Default: the data day.")
@click.pass_context
def predict_cmd(
    ctx: click.Context,
    horizon: float,
    unit: str | None,
    discount_rate: float,
    as_of: date | None,
) -> None:
    """Expected purchases, P(alive), expected average value and CLV of every customer."""
    app = app_from(ctx)
    with bar_for(ctx, "predicting") as progress:
        predictions = unwrap(
            predict_clv(
                app,
                horizon=horizon,
                unit=None if unit is None else TimeUnit(unit),
                discount_rate=discount_rate,
                as_of=as_of,
                progress=progress,
            )
        )
    labels = unwrap(customer_labels(app))
    rows = [
        record(
            p,
            PREDICTION_FIELDS,
            customer_id=_label(labels, p.customer_id),
            expected_avg_value=_number(p.expected_avg_value),
            clv=_number(p.clv),
        )
        for p in predictions
    ]
    click.echo(render(rows, PREDICTION_FIELDS, state_from(ctx).fmt))


@clv.command("status")
@click.option(
    "--status",
    type=click.Choice([s.value for s in ClvStatus]),
    default=None,
    help="Only customers with this status [default: every status].",
)
@click.option("--as-of", "as_of", callback=_date, default=None, help="Default: the data day.")
@click.option("--no-actions", is_flag=True, help="List only; create no tasks or events.")
@click.option("--config", "config_path", type=click.Path(), default=None, help="TOML rules.")
@click.pass_context
def status_cmd(
    ctx: click.Context,
    status: str | None,
    as_of: date | None,
    no_actions: bool,
    config_path: str | None,
) -> None:
    """Customers with their status and action; each action is created once a day."""
    from pathlib import Path

    config = unwrap(load_config(None if config_path is None else Path(config_path)))
    rows = unwrap(
        clv_statuses(
            app_from(ctx),
            status=None if status is None else ClvStatus(status),
            rules=config.clv,
            as_of=as_of,
            act=not no_actions,
        )
    )
    out = [
        {
            "customer_id": r.user_id or r.customer_id,
            "status": r.status.value,
            "action": r.action,
            "reasons": "; ".join(r.reasons),
            "p_alive": r.p_alive,
            "clv": _number(r.clv),
            "task": None if r.activity_id is None else str(r.activity_id),
        }
        for r in rows
    ]
    columns = ["customer_id", "status", "action", "reasons", "p_alive", "clv", "task"]
    click.echo(render(out, columns, state_from(ctx).fmt))


@clv.command("traditional")
@click.option("--as-of", "as_of", callback=_date, default=None, help="Default: today.")
@click.option(
    "--window-days",
    type=int,
    default=365,
    show_default=True,
    help="Days of purchases (ending on --as-of) that order value and frequency come from.",
)
@click.option(
    "--lifetime-years",
    type=str,
    default="3",
    show_default=True,
    help="Expected customer lifetime in years (decimals allowed).",
)
@click.option("--by-segment", is_flag=True, help="Mean per RFM segment.")
@click.pass_context
def traditional_cmd(
    ctx: click.Context,
    as_of: date | None,
    window_days: int,
    lifetime_years: str,
    by_segment: bool,
) -> None:
    """Average order value x purchase frequency x expected lifetime."""
    try:
        lifetime = Decimal(lifetime_years)
    except ArithmeticError as exc:
        raise click.BadParameter(f"{lifetime_years!r} is not a number") from exc
    app = app_from(ctx)
    day = as_of or app.clock.now().date()
    rows = unwrap(
        traditional_clv(
            app, as_of=day, window_days=window_days, lifetime_years=lifetime, by_segment=by_segment
        )
    )
    labels = {} if by_segment else unwrap(customer_labels(app))
    key = "segment" if by_segment else "customer_id"
    out = [
        {
            key: r.key if by_segment else _label(labels, r.key),
            "customers": r.customers,
            "orders": r.orders,
            "average_order_value": round(float(r.average_order_value), 2),
            "purchase_frequency": round(float(r.purchase_frequency), 4),
            "clv": round(float(r.clv), 2),
        }
        for r in rows
    ]
    columns = [key, "customers", "orders", "average_order_value", "purchase_frequency", "clv"]
    click.echo(render(out, columns, state_from(ctx).fmt))
    if not out:
        note(
            ctx,
            f"no transactions in the {window_days} days up to {day.isoformat()}:"
            " nothing to average (import some, or widen --window-days)",
        )


__all__ = ["clv", "fit_record"]

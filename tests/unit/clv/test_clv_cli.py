"""``crm clv`` through click's runner on a pre-built memory application."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from click.testing import CliRunner, Result

from crmcore.app.cli.context import CliState
from crmcore.app.cli.main import cli
from tests.unit.clv.seeding import CDNOW_PUBLISHED, Seeded, cdnow_purchases, seeded_app

NOW = datetime(1998, 7, 1, 12, tzinfo=UTC)
FIELDS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "expected_purchases",
    "p_alive",
    "expected_avg_value",
    "clv",
]


def run(seeded: Seeded, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj=CliState(app=seeded.app))


def test_fit_prints_the_published_cdnow_parameters_and_predict_lists_every_customer() -> None:
    seeded = seeded_app(cdnow_purchases(), now=NOW)
    fitted = run(seeded, "clv", "fit", "--as-of", "1997-09-30", "--format", "json")
    assert fitted.exit_code == 0, fitted.output
    record = json.loads(fitted.output)
    assert set(record) == {"as_of", "unit", "customers", "bg_nbd", "gamma_gamma"}
    assert record["as_of"] == "1997-09-30"
    assert record["unit"] == "weeks"
    assert record["customers"] == 2357
    bg = record["bg_nbd"]
    assert set(bg) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert {k: round(bg[k], 3) for k in CDNOW_PUBLISHED} == CDNOW_PUBLISHED
    assert set(record["gamma_gamma"]) == {"p", "q", "gamma", "customers"}
    assert record["gamma_gamma"]["customers"] == 946

    predicted = run(seeded, "clv", "predict", "--horizon", "12", "--format", "json")
    assert predicted.exit_code == 0, predicted.output
    rows = json.loads(predicted.output)
    assert len(rows) == 2357
    assert all(list(r) == FIELDS for r in rows)
    assert {r["customer_id"] for r in rows} == {f"{n:04d}" for n in range(1, 2358)}

    as_csv = run(seeded, "clv", "predict", "--horizon", "6", "--unit", "weeks", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    table = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(table) == 2357
    assert list(table[0]) == FIELDS

    wrong_unit = run(seeded, "clv", "predict", "--horizon", "6", "--unit", "days")
    assert wrong_unit.exit_code == 1
    assert "refit with --unit days" in wrong_unit.output


def test_fit_on_no_or_awkward_data_exits_1_with_one_line() -> None:
    empty = seeded_app([], now=NOW)
    result = run(empty, "clv", "fit", "--as-of", "1998-01-01", "--format", "json")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "nothing to fit" in result.output
    day = datetime(1998, 1, 1, tzinfo=UTC)
    no_repeats = seeded_app(
        [(f"c{i}", day + timedelta(days=i), Decimal(5)) for i in range(5)], now=NOW
    )
    result = run(no_repeats, "clv", "fit", "--as-of", "1998-03-01", "--format", "json")
    assert result.exit_code == 1
    assert result.output.startswith("error: clv.fit: ")
    assert result.output.strip().count("\n") == 0
    bad_date = run(no_repeats, "clv", "fit", "--as-of", "yesterday")
    assert bad_date.exit_code == 2


def test_status_lists_customers_with_status_and_action_once() -> None:
    day = datetime(1998, 1, 1, tzinfo=UTC)
    purchases = [("old", day, Decimal(10)), ("old", day + timedelta(days=100), Decimal(10))]
    purchases += [("fresh", day + timedelta(days=170), Decimal(20))]
    seeded = seeded_app(purchases, now=day + timedelta(days=175))
    first = run(seeded, "clv", "status", "--format", "json")
    assert first.exit_code == 0, first.output
    rows = json.loads(first.output)
    assert [(r["customer_id"], r["status"], r["action"]) for r in rows] == [
        ("fresh", "new", "welcome path")
    ]
    assert rows[0]["task"] is not None
    again = json.loads(run(seeded, "clv", "status", "--format", "json").output)
    assert again[0]["task"] is None
    hot_only = run(seeded, "clv", "status", "--status", "hot", "--format", "json")
    assert json.loads(hot_only.output) == []


def test_traditional_by_customer_and_segment() -> None:
    day = datetime(1998, 1, 1, tzinfo=UTC)
    seeded = seeded_app(
        [("a", day, Decimal(100)), ("a", day + timedelta(days=30), Decimal(50))],
        now=day + timedelta(days=40),
    )
    per_customer = run(seeded, "clv", "traditional", "--format", "json")
    assert per_customer.exit_code == 0, per_customer.output
    (row,) = json.loads(per_customer.output)
    assert row["customer_id"] == "a"
    assert row["orders"] == 2
    assert row["average_order_value"] == 75.0
    segments = run(seeded, "clv", "traditional", "--by-segment", "--format", "json")
    assert segments.exit_code == 0, segments.output
    (segment,) = json.loads(segments.output)
    assert segment["customers"] == 1
    assert segment["clv"] == row["clv"]


def test_traditional_without_transactions_in_the_window_says_so() -> None:
    day = datetime(1998, 1, 1, tzinfo=UTC)
    seeded = seeded_app([("a", day, Decimal(100))], now=day + timedelta(days=800))
    empty = run(seeded, "clv", "traditional", "--window-days", "30")
    assert empty.exit_code == 0, empty.output
    assert "no transactions in the 30 days up to" in empty.stderr
    quiet = run(seeded, "-q", "clv", "traditional", "--window-days", "30")
    assert "no transactions" not in quiet.stderr

"""Hostile values at every door (issue 21): each is a row error or a clear refusal, never
an internal error (exit 70), and the valid lines of the same file are still stored.

Runs ``crm`` in process on a SQLite file (SQLite's INTEGER bound and its UTF-8 encoding
are what some of these values used to break)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crmcore.app.cli.main import cli
from crmcore.domain.money import MAX_AMOUNT, Money

EVENT = (
    '{"id":"%s","type":"purchase","occurred_at":"%s",'
    '"customer":{"phone":"8 900 123-45-61"},"data":{"amount":"%s","currency":"RUB"}}'
)
AT = "2026-01-05T12:00:00+03:00"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "crm.db")


def crm(db: str, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", *args], input=stdin)


def count(db: str, table: str) -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(n)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("999999999999999.9999", True),
        ("-999999999999999.9999", True),
        ("1.50000", True),
        ("1000000000000000", False),
        ("1e15", False),
        ("1e30", False),
        ("1e400", False),
        ("9" * 400, False),
        ("0.00001", False),
        ("1.23456", False),
    ],
)
def test_money_has_bounds(raw: str, ok: bool) -> None:
    parsed = Money.parse(raw, "USD")
    assert parsed.map(lambda m: abs(m.amount) < MAX_AMOUNT).value_or(False) is ok
    if ok:
        exponent = parsed.unwrap().amount.as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -4


def test_money_keeps_value_within_places() -> None:
    assert Money.of("1.50000").amount == Decimal("1.5")


def test_deals_create_refuses_amounts_out_of_bounds_and_listings_work(db: str) -> None:
    for amount in ("1e30", "1e400", "9" * 400):
        refused = crm(db, "deals", "create", "--title", "x", "--amount", amount)
        assert refused.exit_code == 2, refused.output
        assert "amount" in refused.output
    assert crm(db, "deals", "create", "--title", "ok", "--amount", "10").exit_code == 0
    for command in (["deals", "list"], ["deals", "pipeline"]):
        shown = crm(db, "--format", "json", *command)
        assert shown.exit_code == 0, shown.output
    assert count(db, "deals") == 1


def test_deals_listing_survives_an_amount_stored_before_the_bounds(db: str) -> None:
    assert crm(db, "deals", "create", "--title", "ok", "--amount", "10").exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE deals SET amount = '1E+30'")
    for command in (["deals", "list"], ["deals", "pipeline"]):
        shown = crm(db, "--format", "json", *command)
        assert shown.exit_code == 0, shown.output


def test_import_deals_rejects_huge_amounts_and_stores_the_rest(db: str, tmp_path: Path) -> None:
    big = "9" * 400
    path = write(
        tmp_path,
        "deals.csv",
        f"external_id,title,amount\nd1,T,1e30\nd2,T2,5\nd3,T3,1e400\nd4,T4,{big}\n",
    )
    done = crm(db, "import", "deals", path)
    assert done.exit_code == 3, done.output
    assert count(db, "deals") == 1
    assert crm(db, "deals", "pipeline").exit_code == 0


# --------------------------------------------------------------------------- leads


def test_import_leads_rejects_a_company_size_beyond_sql_integers(db: str, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "leads.csv",
        f"email,first_name,company_size\na@example.com,A,{10**29}\nb@example.com,B,5\n",
    )
    done = crm(db, "import", "leads", path)
    assert done.exit_code == 3, done.output
    assert "company_size" in done.output
    assert count(db, "leads") == 1


def test_leads_capture_refuses_a_company_size_beyond_sql_integers(db: str) -> None:
    args = ["leads", "capture", "--email", "c@example.com", "--first-name", "C"]
    done = crm(db, *args, "--company-size", str(10**29))
    assert done.exit_code == 2, done.output
    assert "company_size" in done.output
    assert crm(db, *args, "--company-size", "50").exit_code == 0


# --------------------------------------------------------------------------- transactions


def test_transactions_with_cr_only_line_ends_are_read(db: str, tmp_path: Path) -> None:
    path = write(
        tmp_path, "cr.csv", "customer_id,occurred_at,amount\rc1,2024-01-01,10\rc2,2024-01-02,20\r"
    )
    done = crm(db, "import", "transactions", path)
    assert done.exit_code == 0, done.output
    assert count(db, "transactions") == 2


def test_a_huge_cell_rejects_its_row_only(db: str, tmp_path: Path) -> None:
    lines = [
        "customer_id,occurred_at,amount",
        "c1,2024-01-01,10",
        "c2,2024-01-02," + "x" * 200_000,
        "c3,2024-01-03,5",
    ]
    done = crm(db, "import", "transactions", write(tmp_path, "big.csv", "\n".join(lines) + "\n"))
    assert done.exit_code == 3, done.output
    assert "line 3" in done.output
    assert count(db, "transactions") == 2


def test_transactions_reject_hostile_dates_and_amounts(db: str, tmp_path: Path) -> None:
    lines = [
        "customer_id,occurred_at,amount",
        "c1,2024-01-01,10",
        "c2,0001-01-01T00:00:00+05:00,5",
        "c3,9999-12-31T23:00:00-05:00,5",
        "c4,2024-01-03,1e400",
        "c5,2024-01-03," + "9" * 400,
        "c6,2024-01-03,1e30",
        "c7,2024-01-03,0.00001",
        "c8,2024-01-04,7",
    ]
    done = crm(db, "import", "transactions", write(tmp_path, "v.csv", "\n".join(lines) + "\n"))
    assert done.exit_code == 3, done.output
    for line in range(3, 9):
        assert f"line {line}:" in done.output
    assert count(db, "transactions") == 2


def test_purchases_at_moneys_bound_are_stored_and_summed(db: str, tmp_path: Path) -> None:
    # the RFM summary's integer sum used to overflow ("storage unavailable", exit 4)
    top = "999999999999999.9999"
    lines = ["customer_id,occurred_at,amount", f"c1,2024-01-01,{top}", "c1,2024-01-02,1"]
    done = crm(db, "import", "transactions", write(tmp_path, "top.csv", "\n".join(lines) + "\n"))
    assert done.exit_code == 0, done.output
    assert count(db, "transactions") == 2
    with sqlite3.connect(db) as conn:
        (monetary,) = conn.execute("SELECT monetary FROM customer_rfm").fetchone()
    assert abs(Decimal(monetary) / 10_000 - (Decimal(top) + 1)) < 1
    rfm = crm(db, "segments", "rfm", "--as-of", "2024-02-01", "--format", "json")
    assert rfm.exit_code == 0, rfm.output


# --------------------------------------------------------------------------- events


def test_events_ingest_rejects_hostile_lines_and_stores_the_rest(db: str) -> None:
    lines = [
        EVENT % ("e1", AT, "5"),
        EVENT % ("e2", "0001-01-01T00:00:00+05:00", "5"),
        EVENT % ("e3", "9999-12-31T23:00:00-05:00", "5"),
        EVENT % ("\\ud800", AT, "5"),
        (EVENT % ("e5", AT, "5")).replace('"id":"e5"', '"id":"e5","id":"e6"'),
        EVENT % ("e7", AT, "1e30"),
        EVENT % ("e8", AT, "5.123456"),
        EVENT % ("e9\\ud83d\\ude00", AT, "5"),
    ]
    data = ("\n".join(lines) + "\n").encode()
    done = crm(db, "events", "ingest", "-", "--format", "json", stdin=data)
    assert done.exit_code == 3, done.output
    report = json.loads(done.stdout)
    assert report["accepted"] == 2
    assert sorted(r["line"] for r in report["rejected"]) == [2, 3, 4, 5, 6, 7]
    assert count(db, "event_inbox") == 2

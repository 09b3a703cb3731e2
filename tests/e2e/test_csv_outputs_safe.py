"""Every ``--format csv`` output and the ``--errors`` file are safe to open in a spreadsheet
(issue 21): on a database seeded with formula-like values, no cell starts with ``=`` ``+``
``-`` ``@``, a tab or a carriage return unless it is a plain number (docs/cli.md)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crmcore.app.cli.main import cli
from crmcore.app.importing.csvio import csv_text, safe_cell

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")
FORMULA = "=HYPERLINK(1)"


def unsafe_cells(text: str) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell.startswith(DANGEROUS) and not PLAIN_NUMBER.match(cell)
    ]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database whose every kind of record holds formula-like text."""
    root = tmp_path_factory.mktemp("csv")
    url = f"sqlite:///{root / 'crm.db'}"

    def crm(*args: str) -> Result:
        done = CliRunner().invoke(cli, ["--db", url, *args])
        assert done.exit_code == 0, done.output
        return done

    account = json.loads(crm("--format", "json", "accounts", "add", "--name", "@SUM(A1)").stdout)
    crm("contacts", "add", "--first-name", FORMULA, "--last-name", "-x", "--user-id", "=evil")
    crm("leads", "capture", "--email", "l@example.com", "--first-name", "+Lead", "--company", "=c")
    crm("deals", "create", "--title", "=1+1", "--amount", "5", "--owner", "@me")
    tx = root / "tx.csv"
    tx.write_text(
        "customer_id,occurred_at,amount\n=evil,2025-12-01,10\n=evil,2025-12-20,20\n"
        "+cmd,2025-11-01,5\n-dash,2025-12-30,7\n"
    )
    crm("import", "transactions", str(tx))
    contacts = root / "contacts.csv"
    contacts.write_text(
        f"user_id,first_name,last_name,account_id\n@acct,{FORMULA},\tTab,{account['id']}\n"
    )
    crm("import", "contacts", str(contacts))
    spec = root / "filter.json"
    spec.write_text(json.dumps({"field": "behaviour.transactions", "op": "ge", "value": 1}))
    crm("segments", "create", "=seg", "--filter", str(spec))
    crm("activities", "add", "--type", "task", "--subject", "-rm", "--deal-id", _first_deal(url))
    crm("health", "assess")
    return url


def _first_deal(url: str) -> str:
    out = CliRunner().invoke(cli, ["--db", url, "--format", "json", "deals", "list"]).stdout
    return str(json.loads(out)[0]["id"])


ROOT_CSV = [
    ["leads", "list"],
    ["contacts", "list"],
    ["accounts", "list"],
    ["deals", "list"],
    ["deals", "pipeline"],
    ["deals", "slipping"],
    ["activities", "list"],
    ["tasks", "list", "--all"],
]
OWN_CSV = [
    ["segments", "list"],
    ["segments", "show", "=seg", "--members"],
    ["segments", "rfm", "--as-of", "2026-01-05"],
    *(
        ["segments", "rfm", "--as-of", "2026-01-05", "--members", s]
        for s in ("newbie", "promising", "drifting", "loyal", "at_risk", "lost", "sleeping")
    ),
    ["health", "report"],
    ["health", "report", "--accounts"],
]


@pytest.mark.parametrize("command", ROOT_CSV + OWN_CSV, ids=" ".join)
def test_every_csv_output_is_safe(db: str, command: list[str]) -> None:
    args = ["--db", db, "--format", "csv", *command]
    if command in OWN_CSV:
        args += ["--format", "csv"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert unsafe_cells(done.stdout) == []


def test_the_seeded_values_do_reach_the_outputs(db: str) -> None:
    members = CliRunner().invoke(
        cli, ["--db", db, "segments", "show", "=seg", "--members", "--format", "csv"]
    )
    assert "'=evil" in members.stdout
    accounts = CliRunner().invoke(
        cli, ["--db", db, "health", "report", "--accounts", "--format", "csv"]
    )
    assert "'@SUM(A1)" in accounts.stdout


def test_the_rejected_rows_file_is_safe(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(f"email,first_name,company\nnot-an-email,{FORMULA},@corp\n")
    errors = tmp_path / "rejected.csv"
    done = CliRunner().invoke(
        cli, ["--db", "memory://", "import", "leads", str(path), "--errors", str(errors)]
    )
    assert done.exit_code == 3, done.output
    text = errors.read_text(encoding="utf-8-sig")
    assert "'" + FORMULA in text
    assert unsafe_cells(text) == []


def test_one_rule_for_a_cell() -> None:
    assert [safe_cell(c) for c in ("=1", "-5", "+7900", "-x", "@a", "\tt", "\rr", "ok")] == [
        "'=1",
        "-5",
        "+7900",
        "'-x",
        "'@a",
        "'\tt",
        "'\rr",
        "ok",
    ]
    assert csv_text(["a", "b"], [["=x", None], [3, "-2.5"]]) == "a,b\n'=x,\n3,-2.5\n"

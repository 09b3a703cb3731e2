"""``crm board`` through click's CliRunner (each invocation builds a fresh memory app)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from crmcore.app.cli.main import cli

DB = ["--db", "memory://"]
HEADER = (
    "customer,name,contact,first_interaction,purchases,reviews,"
    "referred_friends_converted,partner_program,revenue\n"
)
BASE = (
    HEADER
    + """00000000-0000-0000-0000-000000000001,Anna,anna@example.com,2025-01-10,0,0,0,false,0
00000000-0000-0000-0000-000000000002,Boris,boris@example.com,2025-01-20,1,0,0,false,50
00000000-0000-0000-0000-000000000003,Daria,daria@example.com,2025-02-01,3,1,1,true,300
"""
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*DB, "board", *args])
    return result.exit_code, result.stdout, result.stderr


def test_show_empty_board_as_table_and_json() -> None:
    code, out, _ = run("show")
    assert code == 0
    assert "Acquainted" in out
    assert "0/10" in out
    code, out, _ = run("show", "--format", "json")
    data = json.loads(out)
    assert data["target"] == 700
    assert [c["key"] for c in data["columns"]][2] == "recommender"


def test_place_imports_facts_and_places(tmp_path: Path) -> None:
    base = tmp_path / "base.csv"
    base.write_text(BASE, encoding="utf-8")
    code, out, err = run("place", "--facts", str(base), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["placement"]["opened"] == 3
    counts = {c["key"]: c["cards"] for c in data["columns"]}
    assert counts["acquainted"] == 1
    assert counts["customer"] == 1
    assert counts["partner"] == 1


def test_bad_import_names_line_and_column(tmp_path: Path) -> None:
    base = tmp_path / "bad.csv"
    base.write_text(BASE.replace("Boris,boris@example.com,2025-01-20,1", "Boris,b,2025-13-20,x"))
    code, _, err = run("place", "--facts", str(base))
    assert code == 1
    assert "line 3: first_interaction" in err
    assert "line 3: purchases: must be an integer" in err


def test_bad_board_file_names_level_and_field(tmp_path: Path) -> None:
    text = CliRunner().invoke(cli, ["board", "template"]).stdout
    bad = tmp_path / "board.toml"
    bad.write_text(text.replace('field = "partner_program"', 'field = "partner"'))
    code, _, err = run("--board", str(bad), "show")
    assert code == 1
    assert "levels[4] regular.exit.field: unknown field" in err


def test_card_commands_refuse_clearly() -> None:
    code, _, err = run("take", "not-a-uuid", "--owner", "olga")
    assert (code, "is not a card id" in err) == (1, True)
    code, _, err = run("take", "00000000-0000-0000-0000-000000000001", "--owner", "olga")
    assert (code, "card 00000000-0000-0000-0000-000000000001 not found" in err) == (1, True)
    code, _, err = run("release", "00000000-0000-0000-0000-000000000001")
    assert code == 1
    code, _, err = run("move", "00000000-0000-0000-0000-000000000001", "--to", "x", "--reason", "r")
    assert code == 1


def test_stuck_movements_and_cohort_revenue_formats() -> None:
    code, out, _ = run("stuck")
    assert code == 0
    assert "customer -> recommender" in out
    assert "referral" in out.lower()
    code, out, _ = run("stuck", "--format", "json")
    assert len(json.loads(out)) == 6
    code, out, _ = run("movements", "--format", "csv")
    assert next(csv.reader(io.StringIO(out))) == [
        "card", "from", "to", "at", "cause", "override_reason",
    ]  # fmt: skip
    code, out, _ = run("cohort-revenue", "--format", "csv")
    assert out.strip() == "cohort,level,customers,revenue"
    code, _, err = run("movements", "--since", "yesterday")
    assert code == 1
    assert "--since" in err

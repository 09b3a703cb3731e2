"""``crm demo`` through click's CliRunner: the tour's sections, its JSON keys, re-runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crmcore import App
from crmcore.app.cli.demo import TOUR, WIDTH
from crmcore.app.cli.main import CliState, cli
from crmcore.app.demo.demo import SIZES

SECTIONS = {
    "pipeline": ["stage", "deals", "amount", "currency", "probability", "forecast"],
    "lead_sources": ["source", "leads", "qualified", "converted", "avg_score"],
    "rfm_segments": ["segment", "customers", "share", "clv_3y"],
    "loyalty_board": ["level", "cards", "taken", "wip_limit", "target", "progress", "revenue"],
    "accounts_in_red": ["account", "score", "worst", "contacts", "red"],
    "slipping_deals": ["deal", "stage", "amount", "owner", "expected_close", "days_late"],
}
SMALL = SIZES["small"]


def invoke(*args: str, app: App | None = None) -> Result:
    """``crm --db memory:// ...`` (a fresh memory database unless ``app`` is shared)."""
    obj = CliState(app=app) if app is not None else None
    return CliRunner().invoke(cli, ["--db", "memory://", *args], obj=obj)


def tour(*args: str, app: App | None = None) -> dict[str, Any]:
    result = invoke("--format", "json", "demo", *args, app=app)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return tour()


def test_json_is_one_document_with_a_stable_key_per_section(document: dict[str, Any]) -> None:
    assert list(document) == ["seed", "size", "as_of", *SECTIONS, "next"]
    assert (document["seed"], document["size"], document["as_of"]) == (7, "small", "2026-01-05")
    for key, fields in SECTIONS.items():
        assert document[key], key
        assert all(list(row) == fields for row in document[key]), key
    assert [s.key for s in TOUR] == list(SECTIONS)


def test_pipeline_and_lead_sources_cover_every_deal_and_lead(document: dict[str, Any]) -> None:
    assert sum(r["deals"] for r in document["pipeline"]) == SMALL["deals"]
    for row in document["pipeline"]:
        forecast = float(row["amount"]) * row["probability"] / 100
        assert float(row["forecast"]) == pytest.approx(forecast, abs=0.01)
    sources = document["lead_sources"]
    assert sum(r["leads"] for r in sources) == SMALL["leads"]
    assert len(sources) == 8  # every source


def test_rfm_segments_list_all_eight_with_shares(document: dict[str, Any]) -> None:
    rows = document["rfm_segments"]
    assert [r["segment"] for r in rows] == [
        "vip",
        "loyal",
        "at_risk",
        "lost",
        "newbie",
        "promising",
        "drifting",
        "sleeping",
    ]
    customers = sum(r["customers"] for r in rows)
    assert 0 < customers <= SMALL["contacts"]
    assert sum(r["share"] for r in rows) == pytest.approx(1, abs=0.01)
    vip = rows[0]
    assert vip["customers"] > 0
    assert float(vip["clv_3y"]) > 0


def test_the_loyalty_board_holds_every_contact(document: dict[str, Any]) -> None:
    board = document["loyalty_board"]
    assert [c["level"] for c in board][:3] == ["acquainted", "customer", "recommender"]
    assert sum(c["cards"] for c in board) == SMALL["contacts"]
    assert all(c["taken"] <= min(c["cards"], c["wip_limit"]) for c in board)
    assert any(c["taken"] for c in board)
    assert all(c["progress"] == round(min(1, c["cards"] / c["target"]), 3) for c in board)


def test_accounts_in_the_red_are_red_and_worst_first(document: dict[str, Any]) -> None:
    reds = document["accounts_in_red"]
    assert reds
    assert all(r["score"] < 50 and r["worst"] <= r["score"] for r in reds)
    assert [r["score"] for r in reds] == sorted(r["score"] for r in reds)


def test_slipping_deals_are_late_and_latest_first(document: dict[str, Any]) -> None:
    late = document["slipping_deals"]
    assert late
    assert all(r["days_late"] > 14 for r in late)
    assert [r["days_late"] for r in late] == sorted((r["days_late"] for r in late), reverse=True)


def test_next_commands_are_real_commands(document: dict[str, Any]) -> None:
    for command in document["next"]:
        words = command.split()
        assert words[0] == "crm"
        help_args = [w for w in words[1:] if not w.startswith("-")][:2]
        result = CliRunner().invoke(cli, [*help_args, "--help"])
        assert result.exit_code == 0, command


def test_the_table_tour_shows_every_section_within_100_columns() -> None:
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for section in TOUR:
        assert section.title in out
    assert "Try next" in out
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    assert "vip" in out
    assert "acquainted" in out


def test_same_seed_same_tour_and_a_rerun_changes_nothing(app: App) -> None:
    first = invoke("demo", "--seed", "3", app=app)
    second = invoke("demo", "--seed", "3", app=app)
    assert first.exit_code == second.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert "already in this database" in second.stderr
    assert "already" not in first.stderr
    fresh = invoke("demo", "--seed", "3")
    assert fresh.stdout == first.stdout  # a fresh memory app with the demo's own ids
    assert invoke("demo", "--seed", "4").stdout != first.stdout


def test_json_is_identical_on_a_rerun(app: App) -> None:
    assert tour(app=app) == tour(app=app)


def test_another_seed_on_the_same_database_is_refused(app: App) -> None:
    assert invoke("demo", app=app).exit_code == 0
    refused = invoke("demo", "--seed", "8", app=app)
    assert refused.exit_code == 1
    assert "holds the demo of seed 7, size small" in refused.stderr
    assert "Traceback" not in refused.output


def test_csv_prints_one_block_per_section() -> None:
    result = invoke("--format", "csv", "demo")
    assert result.exit_code == 0, result.output
    blocks = result.stdout.split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [f"# {key}" for key in SECTIONS]
    assert blocks[0].splitlines()[1] == ",".join(SECTIONS["pipeline"])


def test_demo_takes_its_own_db_option() -> None:
    result = CliRunner().invoke(cli, ["--format", "json", "demo", "--db", "memory://"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["seed"] == 7


def test_an_unknown_size_is_a_usage_error() -> None:
    result = invoke("demo", "--size", "huge")
    assert result.exit_code == 2
    assert "small" in result.stderr


def test_the_readme_shows_the_real_tour() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n\$ crm demo\n(.*?)```", readme, re.S)
    assert shown is not None, "README.md has no `$ crm demo` block"
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert shown.group(1) == result.stdout

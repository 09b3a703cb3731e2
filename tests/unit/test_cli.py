"""``crm`` commands through click's CliRunner, sharing one memory app per test."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crmcore import App
from crmcore.adapters.system import FixedClock
from crmcore.app.cli.main import CliState, cli, exit_code_for
from crmcore.app.errors import Conflict, NotFound, StorageFailure
from crmcore.domain.errors import IllegalTransition, InvalidInput, RuleViolation

Run = Callable[..., Result]


@pytest.fixture
def run(app: App) -> Run:
    """Invoke ``crm`` with the test's app; JSON output unless a format is given."""

    def invoke(*args: str, fmt: str = "json") -> Result:
        return CliRunner().invoke(cli, ["--format", fmt, *args], obj=CliState(app=app))

    return invoke


def data(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def new_lead(run: Run, email: str = "ann@example.com") -> str:
    out = data(run("leads", "capture", "--email", email, "--first-name", "Ann"))
    return str(out["id"])


def test_capture_prints_the_lead_with_documented_fields(run: Run) -> None:
    out = data(
        run(
            "leads",
            "capture",
            "--email",
            "Ann@Example.COM",
            "--first-name",
            "Ann",
            "--phone",
            "8 (900) 123-45-67",
            "--source",
            "event",
            "--source-detail",
            "webinar",
        )
    )
    assert out["email"] == "ann@example.com"
    assert out["phone"] == "+79001234567"
    assert (out["status"], out["source"], out["source_detail"]) == ("new", "event", "webinar")


def test_invalid_input_is_one_line_on_stderr_with_exit_code_2(run: Run) -> None:
    result = run("leads", "capture", "--email", "nope", "--phone", "12")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "email" in lines[0]
    assert "phone" in lines[0]
    assert "first_name" in lines[0]
    assert "Traceback" not in result.output


def test_duplicate_lead_is_refused_with_exit_code_1(run: Run) -> None:
    new_lead(run)
    result = run("leads", "capture", "--email", "ann@example.com", "--first-name", "A")
    assert result.exit_code == 1
    assert "already exists" in result.stderr


def test_lead_lifecycle_qualify_convert(run: Run) -> None:
    lead_id = new_lead(run)
    qualified = data(
        run("leads", "qualify", lead_id, "--fit", "good", "--budget", "10k", "--timeline", "Q1")
    )
    assert qualified["status"] == "qualified"
    converted = data(
        run(
            "leads",
            "convert",
            lead_id,
            "--account",
            "Acme",
            "--deal-title",
            "Pilot",
            "--deal-amount",
            "1200",
        )
    )
    assert set(converted) == {"lead_id", "contact_id", "account_id", "deal_id"}
    assert data(run("leads", "show", lead_id))["status"] == "converted"
    assert data(run("contacts", "show", converted["contact_id"]))["email"] == "ann@example.com"
    assert data(run("accounts", "show", converted["account_id"]))["name"] == "Acme"
    assert data(run("deals", "show", converted["deal_id"]))["stage"] == "qualified"


def test_illegal_transition_lists_allowed_moves_and_exits_1(run: Run) -> None:
    lead_id = new_lead(run)
    result = run("leads", "reopen", lead_id)
    assert result.exit_code == 1
    assert "cannot reopen from new" in result.stderr
    assert "allowed: qualify, disqualify" in result.stderr


def test_disqualify_reopen_rescore_and_list_by_status(run: Run) -> None:
    lead_id = new_lead(run)
    new_lead(run, "bob@example.com")
    assert data(run("leads", "disqualify", lead_id, "--reason", "spam"))["status"] == "disqualified"
    listed = data(run("leads", "list", "--status", "disqualified"))
    assert [r["id"] for r in listed] == [lead_id]
    assert data(run("leads", "reopen", lead_id))["status"] == "new"
    assert data(run("leads", "set-score", lead_id, "--score", "77"))["score"] == 77
    assert len(data(run("leads", "list"))) == 2


def test_unknown_id_is_not_found_exit_1(run: Run) -> None:
    result = run("leads", "show", "01890000-0000-7000-8000-000000000000")
    assert result.exit_code == 1
    assert "not found" in result.stderr


def test_malformed_id_is_a_usage_error(run: Run) -> None:
    result = run("deals", "win", "not-an-id")
    assert result.exit_code == 2
    assert "not-an-id" in result.stderr


def test_deals_create_move_win_lose_and_pipeline(run: Run) -> None:
    a = data(run("deals", "create", "--title", "A", "--amount", "1000"))
    b = data(run("deals", "create", "--title", "B", "--amount", "500", "--stage", "proposal"))
    c = data(run("deals", "create", "--title", "C", "--amount", "300"))
    assert data(run("deals", "move", a["id"]))["stage"] == "qualified"
    skip = ("--to", "negotiation", "--skip", "signed early")
    assert data(run("deals", "move", a["id"], *skip))["stage"] == "negotiation"
    assert data(run("deals", "win", b["id"]))["stage"] == "closed_won"
    lost = data(run("deals", "lose", c["id"], "--reason", "budget"))
    assert (lost["stage"], lost["lost_reason"]) == ("closed_lost", "budget")
    again = run("deals", "win", c["id"])
    assert again.exit_code == 1
    pipeline = {r["stage"]: r for r in data(run("deals", "pipeline"))}
    assert pipeline["negotiation"]["forecast"] == "750.00"
    assert pipeline["closed_won"]["deals"] == 1
    assert [d["title"] for d in data(run("deals", "list", "--stage", "closed_won"))] == ["B"]
    table = run("deals", "pipeline", fmt="table")
    assert "open total" in table.stdout


def test_lose_requires_a_reason(run: Run) -> None:
    deal = data(run("deals", "create", "--title", "A", "--amount", "10"))
    assert run("deals", "lose", deal["id"]).exit_code == 2
    blank = run("deals", "lose", deal["id"], "--reason", "  ")
    assert blank.exit_code == 1
    assert "reason" in blank.stderr


def test_slipping_lists_deals_overdue_by_more_than_14_days(run: Run, clock: FixedClock) -> None:
    today = clock.now().date()
    data(
        run("deals", "create", "--title", "late", "--amount", "1", "--expected-close", "2025-12-01")
    )
    data(
        run(
            "deals",
            "create",
            "--title",
            "fine",
            "--amount",
            "1",
            "--expected-close",
            today.isoformat(),
        )
    )
    rows = data(run("deals", "slipping"))
    assert [(r["title"], r["days_overdue"]) for r in rows] == [
        ("late", (today - date(2025, 12, 1)).days)
    ]


def test_bad_amount_and_currency_are_reported_together(run: Run) -> None:
    result = run("deals", "create", "--title", "x", "--amount", "abc", "--currency", "XXX")
    assert result.exit_code == 2
    assert "amount" in result.stderr


def test_contacts_and_accounts(run: Run) -> None:
    account = data(run("accounts", "add", "--name", "MSU", "--type", "university"))
    assert data(run("accounts", "list"))[0]["type"] == "university"
    dup = run("accounts", "add", "--name", "msu")
    assert dup.exit_code == 1
    contact = data(
        run(
            "contacts",
            "add",
            "--first-name",
            "Ivan",
            "--email",
            "ivan@msu.ru",
            "--account-id",
            account["id"],
            "--role",
            "champion",
        )
    )
    assert contact["account_id"] == account["id"]
    updated = data(run("contacts", "update", contact["id"], "--phone", "+7 900 111 22 33"))
    assert updated["phone"] == "+79001112233"
    assert len(data(run("contacts", "list", "--account-id", account["id"]))) == 1
    assert data(run("contacts", "archive", contact["id"]))["archived"] is True
    assert data(run("contacts", "list")) == []
    assert len(data(run("contacts", "list", "--archived"))) == 1


def test_activities_and_tasks(run: Run, clock: FixedClock) -> None:
    lead_id = new_lead(run)
    note = data(
        run("activities", "add", "--type", "call", "--subject", "Intro", "--lead-id", lead_id)
    )
    assert note["type"] == "call"
    assert len(data(run("activities", "list", "--lead-id", lead_id))) == 1
    task = data(
        run("tasks", "add", "--subject", "Send offer", "--due", "2026-01-01", "--lead-id", lead_id)
    )
    data(
        run("tasks", "add", "--subject", "Later", "--due", "2027-01-01T10:00", "--lead-id", lead_id)
    )
    assert [t["subject"] for t in data(run("tasks", "overdue"))] == ["Send offer"]
    assert len(data(run("tasks", "list"))) == 2
    done = data(run("tasks", "complete", task["id"]))
    assert done["completed_at"] is not None
    assert len(data(run("tasks", "list"))) == 1
    assert len(data(run("tasks", "list", "--all"))) == 2
    twice = run("tasks", "complete", task["id"])
    assert twice.exit_code == 1
    not_a_task = run("tasks", "complete", note["id"])
    assert not_a_task.exit_code == 1


def test_activity_needs_a_subject_of_concern(run: Run) -> None:
    result = run("activities", "add", "--type", "note", "--subject", "x")
    assert result.exit_code == 2
    assert "concerns" in result.stderr


def test_bad_due_date_is_a_usage_error(run: Run) -> None:
    result = run("tasks", "add", "--subject", "x", "--due", "tomorrow")
    assert result.exit_code == 2


def test_csv_output_is_neutralised_and_keeps_numbers(run: Run) -> None:
    data(
        run(
            "leads",
            "capture",
            "--email",
            "x@example.com",
            "--first-name",
            "=HYPERLINK(1)",
            "--company",
            "@evil",
            "--phone",
            "+79001234567",
        )
    )
    out = run("leads", "list", fmt="csv").stdout.splitlines()
    assert out[0].split(",")[:3] == ["id", "email", "first_name"]
    assert "'=HYPERLINK(1)" in out[1]
    assert "'@evil" in out[1]
    assert ",+79001234567," in out[1]


def test_table_output_and_empty_lists(run: Run) -> None:
    assert "nothing to show" in run("leads", "list", fmt="table").stdout
    new_lead(run)
    assert "ann@example.com" in run("leads", "list", fmt="table").stdout


def test_unsupported_database_exits_4_without_traceback() -> None:
    result = CliRunner().invoke(cli, ["--db", "oracle://x", "leads", "list"])
    assert result.exit_code == 4
    assert "unsupported database" in result.stderr
    assert "Traceback" not in result.output


def test_config_file_sets_format_and_db(tmp_path: Any) -> None:
    config = tmp_path / "crm.toml"
    config.write_text('[crm]\ndb = "memory://"\nformat = "json"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "leads", "list"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    missing = CliRunner().invoke(cli, ["--config", str(tmp_path / "no.toml"), "leads", "list"])
    assert missing.exit_code == 2


def test_environment_variable_selects_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMCORE_DB", "memory://")
    result = CliRunner().invoke(cli, ["--format", "csv", "deals", "list"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("id,title,stage")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput(errors=()), 2),
        (IllegalTransition(machine="m", state="s", move="x", allowed=()), 1),
        (RuleViolation(rule="r", detail="d"), 1),
        (NotFound(kind="lead", key="k"), 1),
        (Conflict(detail="d"), 1),
        (StorageFailure(detail="down"), 4),
    ],
)
def test_every_failure_has_a_documented_exit_code(error: object, code: int) -> None:
    assert exit_code_for(error) == code

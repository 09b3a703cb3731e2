"""Lists page by default, fit the terminal, filter; ``show`` takes any of a contact's keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from crmcore import App
from crmcore.app.cli.main import CliState, cli
from crmcore.app.cli.render import fit_columns


def run(app: App, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=CliState(app=app))


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def people(app: App) -> App:
    ok(run(app, "--format", "json", "accounts", "add", "--name", "MSU"))
    for i in range(60):
        args = ["contacts", "add", "--first-name", f"Ivan{i}", "--last-name", "Petrov"]
        args += ["--email", f"ivan{i}@example.ru", "--user-id", f"u{i}"]
        args += ["--phone", f"+7900123{i:04d}"]
        ok(run(app, "--format", "json", *args))
    ok(run(app, "--format", "json", "contacts", "add", "--first-name", "Anna", "--email", "a@x.ru"))
    return app


def test_a_list_shows_50_rows_and_says_how_many_more(people: App) -> None:
    result = run(people, "--format", "json", "contacts", "list")
    assert len(ok(result)) == 50
    assert "11 more; --limit/--offset 50" in result.stderr


def test_limit_offset_and_all(people: App) -> None:
    page = ok(run(people, "--format", "json", "contacts", "list", "--limit", "5", "--offset", "58"))
    assert [c["first_name"] for c in page] == ["Ivan58", "Ivan59", "Anna"]
    every = run(people, "--format", "json", "contacts", "list", "--all")
    assert len(ok(every)) == 61
    assert "more" not in every.stderr
    csv_rows = run(people, "--format", "csv", "contacts", "list", "--all").stdout.splitlines()
    assert len(csv_rows) == 62


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ivan7 PETROV", {"Ivan7"}),
        ("ivan42@example", {"Ivan42"}),
        ("u13", {"Ivan13"}),
        ("+7 900 123 00 05", {"Ivan5"}),
        ("8 (900) 123-00-05", {"Ivan5"}),
        ("1230005", {"Ivan5"}),
        ("anna", {"Anna"}),
    ],
)
def test_search_matches_name_email_user_id_and_phone(
    people: App, search: str, expected: set[str]
) -> None:
    found = ok(run(people, "--format", "json", "contacts", "list", "--search", search, "--all"))
    assert {c["first_name"] for c in found} == expected


def test_filters_by_lifecycle_account_and_owner(people: App) -> None:
    found = ok(run(people, "--format", "json", "contacts", "list", "--lifecycle", "customer"))
    assert found == []
    assert ok(run(people, "--format", "json", "contacts", "list", "--account", "MSU")) == []
    assert ok(run(people, "--format", "json", "contacts", "list", "--owner", "olga")) == []
    missing = run(people, "contacts", "list", "--segment", "nope")
    assert missing.exit_code == 1
    assert "segment" in missing.stderr


@pytest.mark.parametrize("key", ["ivan3@example.ru", "IVAN3@example.ru", "u3", "+79001230003"])
def test_show_takes_an_email_a_user_id_or_a_phone(people: App, key: str) -> None:
    assert ok(run(people, "--format", "json", "contacts", "show", key))["user_id"] == "u3"


def test_show_of_an_unknown_key_is_not_found(people: App) -> None:
    result = run(people, "contacts", "show", "nobody@example.ru")
    assert result.exit_code == 1
    assert "not found" in result.stderr or "no contact" in result.stderr


def test_columns_choose_the_fields(people: App) -> None:
    rows = ok(run(people, "--format", "json", "contacts", "list", "--columns", "email,id"))
    assert list(rows[0]) == ["email", "id"]
    bad = run(people, "contacts", "list", "--columns", "shoe")
    assert bad.exit_code == 2


def test_tables_keep_the_columns_that_fit() -> None:
    rows = [{"id": "x" * 36, "first_name": "Ivan", "email": "ivan@example.ru", "role": "r"}]
    chosen = fit_columns(rows, ["id", "first_name", "email", "role"], ["first_name", "email"], 40)
    assert chosen == ["first_name", "email", "role"]  # the 36-character id does not fit


@pytest.mark.parametrize("group", ["leads", "accounts", "deals"])
def test_every_list_pages_by_default(app: App, group: str) -> None:
    result = run(app, "--format", "json", group, "list", "--limit", "0")
    assert result.exit_code == 0, result.output


def test_leads_accounts_and_deals_say_exactly_how_many_more(app: App) -> None:
    for i in range(7):
        ok(
            run(
                app,
                "--format",
                "json",
                "leads",
                "capture",
                "--first-name",
                "L",
                "--email",
                f"l{i}@example.com",
            )
        )
        ok(run(app, "--format", "json", "accounts", "add", "--name", f"Org {i}"))
        ok(
            run(
                app,
                "--format",
                "json",
                "deals",
                "create",
                "--title",
                f"Deal {i}",
                "--amount",
                "100",
            )
        )
    for command in ("leads", "accounts", "deals"):
        page = run(app, "--format", "json", command, "list", "--limit", "3", "--offset", "1")
        assert len(ok(page)) == 3
        assert "3 more; --limit/--offset" in page.stderr, command
        last = run(app, "--format", "json", command, "list", "--limit", "3", "--offset", "4")
        assert len(ok(last)) == 3
        assert "more" not in last.stderr, command
    qualified = run(
        app, "--format", "json", "leads", "list", "--status", "qualified", "--limit", "1"
    )
    assert ok(qualified) == []
    assert "more" not in qualified.stderr

"""One ``--format``: accepted globally and on every command, the command's value winning;
tables written for reading, JSON exact."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crmcore import App
from crmcore.app.cli.main import CliState, cli
from crmcore.app.cli.render import cell

COMMANDS = [
    ["events", "failed", "list"],
    ["events", "status"],
    ["segments", "rfm", "--as-of", "2026-01-05"],
    ["board", "show"],
    ["contacts", "list"],
    ["accounts", "list"],
    ["deals", "list"],
    ["review", "list"],
    ["outbox", "status"],
    ["health", "report"],
    ["clv", "traditional", "--as-of", "2026-01-05"],
]


def run(app: App, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=CliState(app=app))


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_the_global_format_is_every_commands_default(app: App, args: list[str]) -> None:
    result = run(app, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_the_commands_own_format_is_accepted_and_wins(app: App, args: list[str]) -> None:
    result = run(app, "--format", "table", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)


def test_segments_show_members_honours_the_global_format(app: App, tmp_path: Path) -> None:
    spec = tmp_path / "f.json"
    spec.write_text('{"field": "behaviour.transactions", "op": "ge", "value": 2}')
    assert run(app, "segments", "create", "vip", "--filter", str(spec)).exit_code == 0
    result = run(app, "--format", "json", "segments", "show", "vip", "--members")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["member_list"] == []


def test_demo_accepts_the_format_after_the_command(app: App) -> None:
    result = run(app, "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["seed"] == 7


def test_events_status_labels_are_distinct(app: App) -> None:
    result = run(app, "--format", "csv", "events", "status")
    labels = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert len(labels) == len(set(labels)) > 2


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1E+3"), "1,000.00"),
        (Decimal("1234567.5"), "1,234,567.50"),
        (Decimal("0.125"), "0.125"),
        (0.123456789, "0.1235"),
        (123456.789, "123,456.79"),
        (7, "7"),
    ],
)
def test_table_cells_are_written_for_reading(value: object, shown: str) -> None:
    assert cell(value) == shown


def test_json_keeps_the_full_precision_the_table_rounds(app: App) -> None:
    created = run(app, "--format", "json", "deals", "create", "--title", "T", "--amount", "1e3")
    assert created.exit_code == 0, created.output
    table = run(app, "deals", "list")
    assert "1,000.00" in table.stdout
    assert "1E+3" not in table.stdout

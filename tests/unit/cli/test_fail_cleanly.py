"""Unusable input and closed pipes end a command with a documented exit code and one line."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from crmcore import App, Settings, bootstrap
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.cli.main import EXIT_PIPE_CLOSED, CliState, cli
from tests.conftest import T0
from tests.strategies import hostile_files

#: docs/cli.md, "Exit codes" (141 only for a closed pipe, not for input).
DOCUMENTED = {0, 1, 2, 3, 4}
READERS = [
    ["import", "contacts"],
    ["import", "leads"],
    ["import", "accounts"],
    ["import", "deals"],
    ["events", "ingest"],
]
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4


def fresh_app() -> App:
    return bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), ids=SequentialIds())


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def invoke(app: App, args: list[str]) -> Any:
    return CliRunner().invoke(cli, args, obj=CliState(app=app))


@pytest.mark.parametrize("reader", READERS, ids=lambda r: " ".join(r))
def test_a_binary_file_is_not_a_text_csv_file_and_no_byte_is_echoed(
    reader: list[str], workdir: Path
) -> None:
    path = workdir / "binary.dat"
    path.write_bytes(ELF)
    result = invoke(fresh_app(), [*reader, str(path)])
    assert result.exit_code == 2, result.output
    assert "not a text CSV file" in result.stderr
    assert "ELF" not in result.output
    assert "\\x" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_binary_transactions_file_is_refused_without_an_internal_error(workdir: Path) -> None:
    """Its exit code follows the other importers once they share one reader (issue 16)."""
    path = workdir / "binary.dat"
    path.write_bytes(ELF)
    result = invoke(fresh_app(), ["import", "transactions", str(path)])
    assert result.exit_code != 70, result.output
    assert "not a text CSV file" in result.stderr
    assert "ELF" not in result.output


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hostile_files)
@pytest.mark.parametrize("reader", READERS, ids=lambda r: " ".join(r))
def test_every_reader_answers_any_bytes_with_a_documented_exit_code(
    reader: list[str], data: bytes, workdir: Path
) -> None:
    path = workdir / f"{reader[-1]}.in"
    path.write_bytes(data)
    result = invoke(fresh_app(), [*reader, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert result.exit_code in DOCUMENTED, result.output


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hostile_files)
def test_import_transactions_never_fails_internally_on_any_bytes(
    data: bytes, workdir: Path
) -> None:
    """Only "no exit 70" here: the transactions reader is being rewritten (issue 16)."""
    path = workdir / "transactions.in"
    path.write_bytes(data)
    result = invoke(fresh_app(), ["import", "transactions", str(path)])
    assert result.exit_code != 70, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["deals", "list"],
        ["board", "show"],
        ["events", "status"],
        ["segments", "rfm", "--as-of", "2026-01-05"],
        ["accounts", "list"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_closed_pipe_ends_the_command_quietly(
    args: list[str], app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(*_a: Any, err: bool = False, **_k: Any) -> None:
        if not err:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(click, "echo", closed)
    result = invoke(app, args)
    assert result.exit_code == EXIT_PIPE_CLOSED
    assert result.stderr == ""

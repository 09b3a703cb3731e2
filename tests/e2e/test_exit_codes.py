"""Each failure class of ``crm`` exits with its documented code (docs/cli.md, issue 21):
0 success, 1 refused, 2 bad input, 3 rows rejected, 4 storage unavailable."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

from crmcore import Settings, bootstrap
from crmcore.app.cli.main import CliState, cli
from crmcore.ports.errors import StorageError

EVENT = (
    '{"id":"e%d","type":"purchase","occurred_at":"2026-01-05T12:00:00+03:00",'
    '"customer":{"phone":"8 900 123-45-61"},"data":{"amount":"5","currency":"RUB"}}'
)
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"
BAD_PORT = "postgresql+psycopg://postgres@127.0.0.1:notaport/x"


def invoke(*args: str, stdin: bytes | None = None, obj: CliState | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, obj=obj)


def write(tmp: Path, name: str, text: str) -> str:
    (tmp / name).write_text(text, encoding="utf-8")
    return str(tmp / name)


def _filter(tmp: Path, spec: object) -> str:
    return write(tmp, "f.json", json.dumps(spec))


CASES: list[tuple[str, Callable[[Path], list[str]], int]] = [
    ("success", lambda t: ["--db", "memory://", "leads", "list"], 0),
    ("not found", lambda t: ["--db", "memory://", "deals", "show", "0" * 32], 1),
    ("usage: unknown option", lambda t: ["--db", "memory://", "leads", "list", "--nope"], 2),
    (
        "invalid field",
        lambda t: ["--db", "memory://", "leads", "capture", "--email", "not-an-email"],
        2,
    ),
    (
        "filter validation",
        lambda t: [
            "--db",
            "memory://",
            "segments",
            "create",
            "s",
            "--filter",
            _filter(t, {"field": "contact.shoe", "op": "eq", "value": 1}),
        ],
        2,
    ),
    (
        "in-memory sqlite refused",
        lambda t: ["--db", "sqlite://", "import", "leads", write(t, "l.csv", "email\na@b.io\n")],
        2,
    ),
    (
        "in-memory sqlite refused (:memory:)",
        lambda t: ["--db", "sqlite:///:memory:", "leads", "capture", "--email", "a@b.io"],
        2,
    ),
    (
        "import rows rejected",
        lambda t: [
            "--db",
            f"sqlite:///{t / 'a.db'}",
            "import",
            "leads",
            write(t, "l.csv", "email,first_name\nbad,A\na@example.com,B\n"),
        ],
        3,
    ),
    (
        "transactions rows rejected",
        lambda t: [
            "--db",
            f"sqlite:///{t / 'a.db'}",
            "import",
            "transactions",
            write(t, "t.csv", "customer_id,occurred_at,amount\nc,2024-01-01,x\nc,2024-01-01,1\n"),
        ],
        3,
    ),
    (
        "transactions file unreadable",
        lambda t: ["--db", f"sqlite:///{t / 'a.db'}", "import", "transactions", str(t / "none")],
        2,
    ),
    ("URL that is not one", lambda t: ["--db", BAD_PORT, "leads", "list"], 4),
    ("unreachable database", lambda t: ["--db", UNREACHABLE, "leads", "list"], 4),
    ("db current, unreachable", lambda t: ["--db", UNREACHABLE, "db", "current"], 4),
    ("db upgrade, unreachable", lambda t: ["--db", UNREACHABLE, "db", "upgrade"], 4),
    ("events status, unreachable", lambda t: ["--db", UNREACHABLE, "events", "status"], 4),
]


@pytest.mark.parametrize(("name", "args", "code"), CASES, ids=[c[0] for c in CASES])
def test_each_failure_class_has_its_code(
    tmp_path: Path, name: str, args: Callable[[Path], list[str]], code: int
) -> None:
    done = invoke(*args(tmp_path))
    assert done.exit_code == code, done.output
    if code:
        assert "rror" in done.output  # "error: ..." (click: "Error: ...")
    assert "internal error" not in done.output


def test_events_ingest_on_a_read_only_database_exits_4(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    # created by another process, so that its exit leaves everything in the main file
    cli_main = "from crmcore.app.cli.main import main; main()"
    created = [sys.executable, "-c", cli_main, "--db", f"sqlite:///{db}", "events", "status"]
    subprocess.run(created, check=True, capture_output=True, timeout=300)
    readonly = tmp_path / "ro.db"
    shutil.copy(db, readonly)
    url = f"sqlite:///file:{readonly}?mode=ro&uri=true"
    done = invoke("--db", url, "events", "ingest", "-", stdin=(EVENT % 1).encode() + b"\n")
    assert done.exit_code == 4, done.output
    assert "accepted 0" in done.stdout
    assert "storage unavailable" in done.output


class _DiskFullAfter:
    """A pipeline unit of work factory whose commits fail once ``ok`` have succeeded."""

    def __init__(self, inner: Callable[[], Any], ok: int) -> None:
        self.inner, self.left = inner, ok

    def __call__(self) -> Any:
        uow = self.inner()
        commit = uow.commit

        def failing() -> None:
            if self.left <= 0:
                raise StorageError("database or disk is full")
            self.left -= 1
            commit()

        uow.commit = failing
        return uow


def test_events_ingest_on_a_full_disk_exits_4_after_its_summary() -> None:
    app = bootstrap(Settings(db_url="memory://"))
    assert app.events is not None
    full = attrs.evolve(app, events=attrs.evolve(app.events, uow=_DiskFullAfter(app.events.uow, 1)))
    lines = b"\n".join((EVENT % n).encode() for n in range(1_500)) + b"\n"
    done = invoke("events", "ingest", "-", "--format", "json", stdin=lines, obj=CliState(app=full))
    assert done.exit_code == 4, done.output
    summary = json.loads(done.stdout)
    assert summary["accepted"] == 1_000  # the first batch, committed before the disk filled
    assert "disk is full" in done.stderr

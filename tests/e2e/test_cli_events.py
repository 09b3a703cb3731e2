"""``crm events`` and ``crm review`` through click's runner on the memory app."""

from __future__ import annotations

import json
import random
import string

from click.testing import CliRunner

from crmcore.app.cli.main import cli

GOOD = (
    '{"id":"e%d","type":"purchase","occurred_at":"2026-01-05T12:00:00+03:00",'
    '"customer":{"phone":"8 900 123-45-6%d"},"data":{"amount":"5","currency":"RUB"}}'
)


def _fuzzed(rng: random.Random) -> bytes:
    base = (GOOD % (999, 1)).encode()
    kind = rng.randrange(5)
    if kind == 0:
        return base[: rng.randrange(1, len(base) - 1)]  # truncated
    if kind == 1:
        return base.replace(b'"5"', b"[5]")  # wrong type
    if kind == 2:
        return base.replace(b'"e999"', b'"' + b"x" * 300 + b'"')  # huge id
    if kind == 3:
        return "ïd".encode("latin-1") + base  # wrong encoding
    return "".join(rng.choice(string.printable) for _ in range(40)).encode()


def test_ingest_reports_bad_lines_and_accepts_the_rest() -> None:
    rng = random.Random(7)
    lines = [(GOOD % (n, n)).encode() for n in range(5)]
    bad = [_fuzzed(rng) for _ in range(10)]
    data = b"\n".join(lines[:2] + bad + [b""] + lines[2:]) + b"\n"
    result = CliRunner().invoke(
        cli, ["--db", "memory://", "events", "ingest", "-", "--format", "json"], input=data
    )
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["accepted"] == 5
    assert len(report["rejected"]) == 10
    assert {r["line"] for r in report["rejected"]} == set(range(3, 13))
    assert all(r["errors"][0]["reason"] for r in report["rejected"])


def test_ingest_then_work_then_status_in_one_app(tmp_path: object) -> None:
    from crmcore import Settings, bootstrap
    from crmcore.app.events.worker import ingest_events, pipeline_status, process_inbox

    app = bootstrap(Settings(db_url="memory://"))
    ingest_events(app, [(GOOD % (n, n)).encode() for n in range(3)])
    assert process_inbox(app, once=True, batch=2).unwrap().done == 2
    assert pipeline_status(app).unwrap().inbox["done"] == 2


def test_work_and_status_commands_run() -> None:
    runner = CliRunner()
    work = runner.invoke(cli, ["--db", "memory://", "events", "work", "--once", "--batch", "5"])
    assert work.exit_code == 0, work.output
    assert "claimed 0" in work.output
    status = runner.invoke(cli, ["--db", "memory://", "events", "status", "--format", "json"])
    assert json.loads(status.output)["inbox"]["pending"] == 0


def test_schema_prints_the_published_schema() -> None:
    result = CliRunner().invoke(cli, ["events", "schema", "purchase"])
    assert result.exit_code == 0
    assert json.loads(result.output)["properties"]["type"] == {"const": "purchase"}
    unknown = CliRunner().invoke(cli, ["events", "schema", "refund"])
    assert unknown.exit_code == 2


def test_review_resolve_needs_exactly_one_decision() -> None:
    result = CliRunner().invoke(
        cli,
        ["--db", "memory://", "review", "resolve", "00000000-0000-0000-0000-000000000001"],
    )
    assert result.exit_code == 1
    assert "exactly one" in result.stderr
    missing = CliRunner().invoke(
        cli,
        [
            "--db",
            "memory://",
            "review",
            "resolve",
            "00000000-0000-0000-0000-000000000001",
            "--discard",
        ],
    )
    assert missing.exit_code == 1
    assert "not found" in missing.stderr

"""``crm import transactions``, ``crm segments rfm`` and saved segments, on the memory app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crmcore import App
from crmcore.app.cli import main

CSV = """customer_id,occurred_at,amount,transaction_id,currency
u1,2026-03-30,10.00,t1,
u1,2026-03-29T10:00:00,5.50,t2,EUR
u1,2026-03-01,7,t3,
u2,2026-03-30,3,,
u3,2026-01-01,abc,,
u4,not-a-date,3,,XXX
u5,2025-12-01,1,,
"""


@pytest.fixture
def runner(app: App, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose commands all share one memory application."""
    return _AppRunner(app)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.cli, ["--db", "memory://", *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_reports_bad_rows_by_line_and_field_and_is_idempotent(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(CSV)
    code, out, err = invoke(runner, "import", "transactions", str(path))
    assert code == 3
    assert "imported 5 transactions" in out
    assert "created 3 contacts" in out
    assert "line 6: amount: not a decimal number" in err
    assert "line 7: occurred_at" in err
    assert "line 7: currency" in err
    code, out, _ = invoke(runner, "import", "transactions", str(path))
    assert "imported 0 transactions, skipped 5" in out


def test_rfm_counts_every_segment_and_lists_members(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(CSV)
    invoke(runner, "import", "transactions", str(path))
    code, out, _ = invoke(runner, "segments", "rfm", "--as-of", "2026-03-31", "--format", "json")
    assert code == 0
    counts = {row["segment"]: row["customers"] for row in json.loads(out)}
    assert len(counts) == 8
    assert (counts["loyal"], counts["newbie"], counts["sleeping"]) == (1, 1, 1)
    code, out, _ = invoke(runner, "segments", "rfm", "--as-of", "2026-03-31", "--format", "csv")
    assert out.splitlines()[0] == "segment,customers"
    code, out, _ = invoke(
        runner, "segments", "rfm", "--as-of", "2026-03-31", "--members", "loyal", "--format", "csv"
    )
    assert ",u1,3,1," in out
    code, _, err = invoke(runner, "segments", "rfm", "--as-of", "2026-03-31", "--members", "vipp")
    assert code == 2
    assert "segment: must be one of" in err
    code, _, err = invoke(runner, "segments", "rfm", "--as-of", "31.03.2026")
    assert code == 2
    assert "not a date" in err


def test_saved_segments(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "tx.csv").write_text(CSV)
    invoke(runner, "import", "transactions", str(tmp_path / "tx.csv"))
    spec = {"field": "behaviour.transactions", "op": "ge", "value": 2}
    (tmp_path / "f.json").write_text(json.dumps(spec))
    code, out, _ = invoke(
        runner, "segments", "create", "repeat", "--filter", str(tmp_path / "f.json")
    )
    assert (code, out.strip()) == (0, "segment repeat: 1 members")
    code, out, _ = invoke(runner, "segments", "list")
    assert out.splitlines()[1].split()[:2] == ["repeat", "1"]
    code, out, _ = invoke(runner, "segments", "show", "repeat", "--members", "--format", "json")
    assert [m["user_id"] for m in json.loads(out)["member_list"]] == ["u1"]
    (tmp_path / "bad.json").write_text(
        json.dumps({"field": "contact.shoe", "op": "eq", "value": 1})
    )
    code, _, err = invoke(
        runner, "segments", "create", "bad", "--filter", str(tmp_path / "bad.json")
    )
    assert code == 2
    assert "filter.field: unknown field" in err
    code, _, err = invoke(runner, "segments", "show", "nope")
    assert (code, err.strip()) == (1, "error: segment nope not found")


class _AppRunner(CliRunner):
    """A runner whose every invocation uses one pre-built application."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self._app = app

    def invoke(self, *args: Any, **kwargs: Any) -> Result:
        kwargs.setdefault("obj", main.CliState(app=self._app))
        return super().invoke(*args, **kwargs)

"""``crm import transactions``, ``crm segments rfm`` and saved segments, on the memory app."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crmcore import App
from crmcore.adapters.system import FixedClock
from crmcore.app.cli import main

CSV = """customer_id,occurred_at,amount,transaction_id,currency
u1,2026-03-30,10.00,t1,
u1,2026-03-29T10:00:00,5.50,t2,EUR
u1,2026-03-01,7,t3,
u2,2026-03-30,3,,
u3,2026-01-01,abc,,
u4,not-a-date,3,,XXX
u5,2025-12-01,1,,
u6,2026-04-02,3,,
"""


@pytest.fixture
def runner(app: App, clock: FixedClock) -> CliRunner:
    """A runner whose commands all share one memory application, its clock on the day
    after the file's last purchase (a later date would be refused as in the future)."""
    clock.advance(datetime(2026, 3, 31, 9, 0, tzinfo=UTC) - clock.now())
    return _AppRunner(app)


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.cli, ["--db", "memory://", *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_reports_bad_rows_by_line_and_field_and_is_idempotent(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(CSV)
    code, out, err = invoke(runner, "--format", "json", "import", "transactions", str(path))
    assert code == 3
    report = json.loads(out)
    assert (report["created"], report["contacts_created"], report["rejected"]) == (5, 3, 3)
    assert "line 6: amount: not a decimal number" in err
    assert "line 7: occurred_at" in err
    assert "line 7: currency" in err
    assert "line 9: occurred_at: is more than a day in the future (now 2026-03-31)" in err
    code, out, _ = invoke(runner, "--format", "json", "import", "transactions", str(path))
    assert (json.loads(out)["created"], json.loads(out)["unchanged"]) == (0, 5)


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


def test_transactions_share_the_importers_options_and_rules(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(
        "Client;Date;Sum;Type\n"
        "u1;2026-01-02;10;purchase\n"
        "u1;2026-01-03;-5;\n"
        "u2;2026-01-04;1e3;\n"
        "u2;2026-01-05;5;refund\n"
        "u3;2026-04-02;5;\n"
    )
    names = ["--map", "Client=customer_id", "--map", "Date=occurred_at", "--map", "Sum=amount"]
    names += ["--map", "Type=kind"]
    errors = tmp_path / "rejected.csv"
    code, out, err = invoke(
        runner, "import", "transactions", str(path), *names, "--dry-run", "--errors", str(errors)
    )
    assert code == 3
    assert "dry run: 3 valid rows; nothing was stored" in err
    assert "│ dry_run          │ true" in out
    assert "nothing was stored (dry run)" in err
    rejected = errors.read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0] == "Client,Date,Sum,Type,_line,_field,_value,_reason"
    assert rejected[1].startswith("u1,2026-01-03,-5,,3,amount,-5,a negative amount is a refund")
    assert rejected[2].startswith("u3,2026-04-02,5,,6,occurred_at,2026-04-02,is more than a day")
    code, out, _ = invoke(runner, "segments", "rfm", "--as-of", "2026-03-31", "--format", "json")
    assert sum(row["customers"] for row in json.loads(out)) == 0  # the dry run stored nothing
    code, out, err = invoke(runner, "import", "transactions", str(path), *names)
    assert (code, "│ created          │ 3 " in out) == (3, True)
    assert "the other rows are stored" in err
    code, out, _ = invoke(runner, "--format", "json", "contacts", "show", "u2")
    assert (code, json.loads(out)["user_id"]) == (0, "u2")
    missing = invoke(runner, "import", "transactions", str(path), "--map", "Nope=amount")
    assert missing[0] == 2
    assert "--map: no such column in the file" in missing[2]


def test_amounts_of_the_imported_purchases(runner: CliRunner, tmp_path: Path, app: App) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(
        "customer_id,occurred_at,amount,kind\nu2,2026-01-04,1e3,\nu2,2026-01-05,5,refund\n"
    )
    assert invoke(runner, "import", "transactions", str(path))[0] == 0
    with app.uow() as uow:
        (contact,) = uow.contacts.list()
        amounts = sorted(str(t.amount.amount) for t in uow.transactions.list_for(contact.id))
    assert amounts == ["-5", "1000"]


def test_an_import_that_stores_nothing_does_not_say_it_stored_the_rest(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("first_name,email\nAnn,not-an-email\n")
    code, _, err = invoke(runner, "import", "contacts", str(path))
    assert code == 3
    assert "1 of 1 rows rejected; no row was stored" in err


def test_a_contacts_file_that_names_companies_creates_or_links_their_accounts(
    runner: CliRunner, tmp_path: Path, app: App
) -> None:
    invoke(runner, "accounts", "add", "--name", "Acme Corp")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "first_name,email,company\n"
        "Ann,ann@x.io,acme  corp\nBob,bob@x.io,Globex\nCid,cid@x.io,GLOBEX\nDee,dee@x.io,\n"
    )
    code, _, err = invoke(runner, "import", "contacts", str(path), "--map", "company=account")
    assert code == 0, err
    with app.uow() as uow:
        accounts = {a.id: a.name for a in uow.accounts.list()}
        linked = {c.name.first: accounts.get(c.account_id) for c in uow.contacts.list()}  # type: ignore[arg-type]
    assert sorted(accounts.values()) == ["Acme Corp", "Globex"]
    assert linked == {"Ann": "Acme Corp", "Bob": "Globex", "Cid": "Globex", "Dee": None}
    again = invoke(runner, "import", "contacts", str(path), "--map", "company=account")
    assert again[0] == 0
    with app.uow() as uow:
        assert len(uow.accounts.list()) == 2

"""CSV imports with real-world mess: encodings, delimiters, quoting, duplicates, bad values."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from returns.result import Failure, Success

from crmcore import App
from crmcore.app.cli.main import CliState, cli
from crmcore.app.importing.csvio import detect_encoding, parse_csv, sniff_delimiter
from crmcore.app.importing.files import (
    Defaults,
    ImportReport,
    Kind,
    Progress,
    RejectedRow,
    import_file,
    plan_columns,
    validate_records,
)
from crmcore.app.sales.contacts import list_contacts
from crmcore.app.sales.leads import list_leads


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def imported(app: App, path: Path, kind: str = "contacts", **kw: Any) -> ImportReport:
    result = import_file(app, kind=kind, path=path, **kw)
    assert isinstance(result, Success), result
    report: ImportReport = result.unwrap()
    return report


def contacts(app: App) -> list[Any]:
    return list(list_contacts(app).unwrap())


CONTACTS = (
    "first_name,last_name,email,phone\n"
    "Ann,Lee,ann@example.com,8 900 123-45-67\n"
    "Bob,Ray,bob@example.com,+7 900 765 43 21\n"
)


def test_contacts_land_and_rerun_changes_nothing(app: App, tmp_path: Path) -> None:
    path = write(tmp_path, CONTACTS)
    first = imported(app, path)
    assert (first.created, first.updated, first.unchanged, first.rejected) == (2, 0, 0, ())
    before = contacts(app)
    again = imported(app, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert contacts(app) == before
    assert {c.phone.e164 for c in before if c.phone} == {"+79001234567", "+79007654321"}


def test_changed_rows_update_and_keep_ids(app: App, tmp_path: Path) -> None:
    imported(app, write(tmp_path, CONTACTS))
    ids = {c.email.value: c.id for c in contacts(app) if c.email}
    changed = CONTACTS.replace("Ann,Lee", "Anna,Lee")
    report = imported(app, write(tmp_path, changed, name="b.csv"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    after = {c.email.value: c for c in contacts(app) if c.email}
    assert after["ann@example.com"].name.first == "Anna"
    assert {k: v.id for k, v in after.items()} == ids


def test_utf8_bom_semicolons_and_cyrillic_headers(app: App, tmp_path: Path) -> None:
    text = "Имя;Фамилия;E-mail;Телефон\nИван;Петров;ivan@example.ru;89001112233\n"
    path = write(tmp_path, "\ufeff" + text)
    report = imported(app, path)
    assert report.encoding == "utf-8-sig"
    assert report.delimiter == ";"
    (contact,) = contacts(app)
    assert (contact.name.first, contact.name.last) == ("Иван", "Петров")
    assert contact.phone is not None
    assert contact.phone.e164 == "+79001112233"


def test_cp1251_export_is_detected(app: App, tmp_path: Path) -> None:
    text = "Имя;Фамилия;Почта\nСветлана;Орлова;sveta@example.ru\nЮрий;Ёлкин;yuri@example.ru\n"
    path = write(tmp_path, text, encoding="cp1251")
    report = imported(app, path)
    assert report.encoding == "cp1251"
    assert sorted(c.name.last for c in contacts(app)) == ["Ёлкин", "Орлова"]


def test_quoted_newlines_blank_lines_and_line_numbers(app: App, tmp_path: Path) -> None:
    text = (
        'first_name,email,notes\n\nAnn,ann@example.com,"line one\nline two"\n\nBob,not-an-email,x\n'
    )
    report = imported(app, write(tmp_path, text))
    assert report.blank_lines == 2
    assert report.created == 1
    (bad,) = report.rejected
    assert bad.line == 6
    assert bad.errors[0].field == "email"
    (ann,) = contacts(app)
    assert ann.attributes == {"notes": "line one\nline two"}


def test_bad_phones_and_emails_report_every_field(app: App, tmp_path: Path) -> None:
    text = "first_name,email,phone,role\n,bad@,123,boss\nOk,ok@example.com,+79001234567,user\n"
    report = imported(app, write(tmp_path, text))
    (bad,) = report.rejected
    assert {e.field for e in bad.errors} == {"first_name", "email", "phone", "role"}
    assert bad.line == 2
    assert report.created == 1


def test_duplicate_rows_are_merged_in_order(app: App, tmp_path: Path) -> None:
    text = (
        "first_name,email,phone\n"
        "Ann,ann@example.com,\n"
        "Ann,ann@EXAMPLE.com,+79001234567\n"
        "Ann,ann@example.com,\n"
    )
    report = imported(app, write(tmp_path, text))
    assert (report.created, report.merged) == (1, 2)
    (ann,) = contacts(app)
    assert ann.phone is not None
    assert ann.phone.e164 == "+79001234567"


def test_contacts_need_an_import_key(app: App, tmp_path: Path) -> None:
    report = imported(app, write(tmp_path, "first_name,email,user_id\nAnn,,\nBob,,u-2\n"))
    assert report.created == 1
    assert "import key" in report.rejected[0].errors[0].reason


def test_missing_key_column_and_bad_map_are_usage_errors(app: App, tmp_path: Path) -> None:
    path = write(tmp_path, "name,mail_addr\nAnn,ann@example.com\n")
    missing = import_file(app, kind="contacts", path=path)
    assert isinstance(missing, Failure)
    assert "no column for email or user_id" in str(missing.failure())
    mapped = imported(app, path, mapping={"mail_addr": "email", "name": "first_name"})
    assert mapped.created == 1
    wrong = import_file(app, kind="contacts", path=path, mapping={"nope": "email"})
    assert isinstance(wrong, Failure)
    assert "no such column" in str(wrong.failure())


def test_dry_run_counts_but_stores_nothing(app: App, tmp_path: Path) -> None:
    report = imported(app, write(tmp_path, CONTACTS), dry_run=True)
    assert (report.created, report.dry_run) == (2, True)
    assert contacts(app) == []


def test_leads_accounts_and_deals(app: App, tmp_path: Path) -> None:
    leads = (
        "email,first_name,source,budget,company_size\na@x.io,A,paid,1000,50\nb@x.io,B,fax,x,-1\n"
    )
    report = imported(app, write(tmp_path, leads), kind="leads")
    assert report.created == 1
    assert {e.field for e in report.rejected[0].errors} == {"source", "budget", "company_size"}
    (lead,) = list_leads(app).unwrap()
    assert (lead.source, lead.firmographics.company_size) == ("paid", 50)
    accounts = "name,type,employees\nMSU,university,40000\nAcme,corporation,12\n"
    assert imported(app, write(tmp_path, accounts, name="a.csv"), kind="accounts").created == 2
    again = imported(app, write(tmp_path, accounts, name="a.csv"), kind="accounts")
    assert again.unchanged == 2
    deals = (
        "external_id,title,amount,stage,account,lost_reason\n"
        "d1,Pilot,1000,proposal,MSU,\n"
        "d2,Lost one,50,closed_lost,Acme,price\n"
        "d3,Orphan,10,lead,Nowhere,\n"
        "d4,No reason,10,closed_lost,,\n"
    )
    first = imported(app, write(tmp_path, deals, name="d.csv"), kind="deals")
    assert first.created == 2
    assert sorted(r.line for r in first.rejected) == [4, 5]
    second = imported(app, write(tmp_path, deals, name="d.csv"), kind="deals")
    assert (second.created, second.unchanged) == (0, 2)


def test_crash_midway_then_rerun_equals_one_clean_run(app: App, tmp_path: Path, clock: Any) -> None:
    rows = "".join(f"P{i},p{i}@example.com,+7900{i:07d}\n" for i in range(50))
    path = write(tmp_path, "first_name,email,phone\n" + rows)

    class Killed(Exception):
        pass

    def crash_after_two_batches(phase: str, done: int, total: int) -> None:
        if phase == "store" and done >= 20:
            raise Killed

    with pytest.raises(Killed):
        import_file(
            app, kind="contacts", path=path, batch_size=10, progress=crash_after_two_batches
        )
    assert len(contacts(app)) == 20
    report = imported(app, path, batch_size=10)
    assert (report.created, report.unchanged) == (30, 20)
    assert sorted(c.email.value for c in contacts(app) if c.email) == sorted(
        f"p{i}@example.com" for i in range(50)
    )


def test_large_file_validates_on_the_pool_exactly_like_serially(tmp_path: Path) -> None:
    n = 100_000
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["first_name", "email", "phone"])
    for i in range(n):
        phone = f"+7900{i % 5000:07d}" if i % 1000 else "12"
        writer.writerow([f"P{i}", f"p{i}@example.com", phone])
    file = parse_csv(buffer.getvalue())
    plan = plan_columns(Kind.LEADS, file.header, {}).unwrap()
    defaults = Defaults(region="RU", currency="USD")
    seen: list[tuple[str, int]] = []
    progress: Progress = lambda phase, done, total: seen.append((phase, done))  # noqa: E731
    pooled = validate_records(Kind.LEADS, plan, defaults, file.records, 2, progress)
    assert len(pooled) == n
    assert sum(isinstance(o, RejectedRow) for o in pooled) == 100
    assert seen[-1] == ("validate", n)
    serial = validate_records(Kind.LEADS, plan, defaults, file.records[:20_000], 1, None)
    assert pooled[:20_000] == serial


def test_cli_import_reports_rejections_and_writes_errors_file(app: App, tmp_path: Path) -> None:
    path = write(
        tmp_path, "First Name,E-mail,Phone\nAnn,ann@example.com,+79001234567\nBob,bob@,1\n"
    )
    errors = tmp_path / "rejected.csv"
    result = CliRunner().invoke(
        cli,
        ["--format", "json", "import", "contacts", str(path), "--errors", str(errors)],
        obj=CliState(app=app),
    )
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    assert "line 3: email" in result.stderr
    assert "1 of 2 rows rejected" in result.stderr
    rejected = list(csv.reader(errors.read_text(encoding="utf-8-sig").splitlines()))
    assert rejected[0] == ["First Name", "E-mail", "Phone", "_line", "_field", "_value", "_reason"]
    assert rejected[1][:4] == ["Bob", "bob@", "1", "3"]
    assert "email" in rejected[1][4]
    assert "phone" in rejected[1][4]
    clean = CliRunner().invoke(
        cli, ["-q", "import", "contacts", str(path), "--map", "Phone="], obj=CliState(app=app)
    )
    assert clean.exit_code == 3


def test_cli_import_with_map_region_and_dry_run(app: App, tmp_path: Path) -> None:
    path = write(tmp_path, "Mail,Name,Tel\nann@example.com,Ann,030 1234567\n")
    args = ["--format", "json", "import", "contacts", str(path), "--map", "Mail=email"]
    args += ["--map", "Name=first_name", "--map", "Tel=phone", "--region", "DE"]
    dry = CliRunner().invoke(cli, [*args, "--dry-run"], obj=CliState(app=app))
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["dry_run"] is True
    assert contacts(app) == []
    real = CliRunner().invoke(cli, args, obj=CliState(app=app))
    assert real.exit_code == 0, real.output
    (ann,) = contacts(app)
    assert ann.phone is not None
    assert ann.phone.e164 == "+49301234567"
    bad_region = CliRunner().invoke(cli, [*args, "--region", "XX"], obj=CliState(app=app))
    assert bad_region.exit_code == 2
    missing = CliRunner().invoke(
        cli, ["import", "leads", str(tmp_path / "no.csv")], obj=CliState(app=app)
    )
    assert missing.exit_code == 2
    assert "no.csv" in missing.stderr


def test_encoding_and_delimiter_detection() -> None:
    assert detect_encoding(b"a,b\n") == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa") == "utf-8-sig"
    assert detect_encoding("Привет".encode("cp1251")) == "cp1251"
    assert sniff_delimiter("a;b;c\n1;2;3\n") == ";"
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
    assert parse_csv("a,b\n1,2\n").records[0].line == 2

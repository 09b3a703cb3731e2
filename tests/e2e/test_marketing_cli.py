"""``crm templates|campaigns|send|unsubscribe|suppressions`` in a subprocess against a
SQLite file and a real SMTP server; opens counted through the event pipeline; and
``crm send work`` killed with SIGKILL mid-campaign, then run to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.app.marketing.campaigns import (
    campaign_stats,
    create_campaign,
    schedule_campaign,
    start_campaign,
)
from crmcore.app.marketing.templates import add_template
from crmcore.app.marketing.unsubscribe import unsubscribe
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.segment import Segment, SegmentId
from tests.dsn_samples import auto_reply, postfix_hard
from tests.smtp_sink import smtp_sink

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVERYONE = {"field": "contact.archived", "op": "eq", "value": False}


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-c", "from crmcore.app.cli.main import main; main()", *args]


def _env(db: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CRMCORE_DB": db}


def crm(
    db: str, *args: str, stdin: str | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        _argv(*args), input=stdin, capture_output=True, text=True, env=_env(db), timeout=120
    )
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def seed(db: str, n: int) -> list[str]:
    """``n`` contacts ``p<i>@example.com`` and the saved segment ``everyone``."""
    app = bootstrap(Settings(db_url=db))
    made = [
        Contact(
            id=ContactId(app.ids.new()),
            name=PersonName(f"P{i}", "Lee"),
            email=Email(f"p{i}@example.com"),
            created_at=T0,
            updated_at=T0,
        )
        for i in range(n)
    ]
    with app.uow() as uow:
        uow.contacts.add_many(made)
        uow.segments.add(
            Segment(
                id=SegmentId(app.ids.new()),
                name="everyone",
                filter=EVERYONE,
                created_at=T0,
                updated_at=T0,
            )
        )
        uow.commit()
    return [str(c.id) for c in made]


def running_campaign(db: str, tmp_path: Path) -> str:
    body = tmp_path / "body.txt"
    body.write_text("Dear {{ contact.first_name }},\nspring is here.\n{{ unsubscribe_url }}\n")
    crm(
        db,
        "templates",
        "add",
        "welcome",
        "--subject",
        "Hi {{ contact.first_name }}",
        "--body",
        str(body),
    )
    made = crm(
        db,
        "campaigns",
        "create",
        "Spring",
        "--template",
        "welcome",
        "--segment",
        "everyone",
        "--channel",
        "email",
        "--format",
        "json",
    )
    campaign_id: str = json.loads(made.stdout)["id"]
    crm(db, "campaigns", "schedule", campaign_id)
    crm(db, "campaigns", "start", campaign_id)
    return campaign_id


def stats(db: str, campaign_id: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(
        crm(db, "campaigns", "stats", campaign_id, "--format", "json").stdout
    )
    return out


def test_the_operator_runs_a_campaign_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    ids = seed(db, 5)
    preview_body = tmp_path / "p.txt"
    preview_body.write_text("Hello {{ contact.first_name }}")
    crm(db, "templates", "add", "hello", "--subject", "S", "--body", str(preview_body))
    shown = json.loads(
        crm(db, "templates", "preview", "hello", "--contact", ids[0], "--format", "json").stdout
    )
    assert shown["body"] == "Hello P0"
    evil = tmp_path / "evil.txt"
    evil.write_text("{{ ''.__class__.__mro__ }}")
    refused = crm(db, "templates", "add", "evil", "--subject", "x", "--body", str(evil), ok=False)
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    campaign_id = running_campaign(db, tmp_path)
    illegal = crm(db, "campaigns", "resume", campaign_id, ok=False)
    assert illegal.returncode == 1
    assert "cannot resume from running" in illegal.stderr
    crm(db, "unsubscribe", "P3@Example.com")
    listed = json.loads(crm(db, "suppressions", "list", "--format", "json").stdout)
    assert [r["address"] for r in listed] == ["p3@example.com"]
    with smtp_sink() as (server, url):
        crm(db, "send", "work", "--smtp", url, "--batch", "2")
        got = server.per_recipient()
    assert sorted(got) == sorted(f"p{i}@example.com" for i in (0, 1, 2, 4))
    assert set(got.values()) == {1}
    numbers = stats(db, campaign_id)
    assert {
        k: numbers[k] for k in ("sent", "failed", "unsubscribed", "opened", "clicked", "converted")
    } == {"sent": 4, "failed": 0, "unsubscribed": 1, "opened": 0, "clicked": 0, "converted": 0}
    assert numbers["status"] == "completed"
    opened = {
        "id": "open-1",
        "type": "email_opened",
        "occurred_at": "2026-03-02T12:00:00+00:00",
        "customer": {"email": "p0@example.com"},
        "data": {"campaign_id": campaign_id},
    }
    crm(db, "events", "ingest", "-", stdin=json.dumps(opened) + "\n")
    crm(db, "events", "work")
    assert stats(db, campaign_id)["opened"] == 1


def _wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def _running_in_process(db: str) -> str:
    """The campaign set up through the use cases (the CLI's own path is tested above)."""
    app = bootstrap(Settings(db_url=db))
    add_template(
        app,
        name="welcome",
        subject="Hi {{ contact.first_name }}",
        body="Dear {{ contact.first_name }}\n{{ unsubscribe_url }}\n",
    ).unwrap()
    campaign = create_campaign(app, name="Spring", template="welcome", segment="everyone").unwrap()
    schedule_campaign(app, campaign_id=campaign.id).unwrap()
    start_campaign(app, campaign_id=campaign.id).unwrap()
    for i in (5, 77, 150, 777):
        unsubscribe(app, address=f"p{i}@example.com").unwrap()
    return str(campaign.id)


@pytest.mark.slow  # about 10 s; it stays in CI (nothing deselects the marker)
def test_sigkill_during_a_campaign_loses_nobody_and_repeats_at_most_once_per_kill(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    n, kills, batch = 1_000, 3, 25
    seed(db, n)
    campaign_id = _running_in_process(db)
    unsubscribed = {f"p{i}@example.com" for i in (5, 77, 150, 777)}
    with smtp_sink() as (server, url):
        for k in range(kills):
            before = len(server.received())
            worker = subprocess.Popen(
                _argv("send", "work", "--smtp", url, "--batch", str(batch), "--lease", "0"),
                env=_env(db),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # kill it once it has sent a sixth of the campaign more (or finished: then stop)
            _wait_for(
                lambda b=before, w=worker: (
                    len(server.received()) >= b + n // 6 or w.poll() is not None
                )
            )
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            if k == 0:
                assert worker.returncode == -signal.SIGKILL, "the first run must be killed mid-way"
        crm(db, "send", "work", "--smtp", url, "--batch", str(batch), "--lease", "0")
        got = server.per_recipient()
    everyone = {f"p{i}@example.com" for i in range(n)}
    assert set(got) == everyone - unsubscribed
    assert max(got.values()) <= 1 + kills
    assert sum(got.values()) - len(got) <= kills * batch  # only the batches in flight repeat
    app = bootstrap(Settings(db_url=db))
    numbers = campaign_stats(app, campaign_id=UUID(campaign_id)).unwrap()
    assert (numbers.sent, numbers.unsubscribed, numbers.campaign.status.value) == (
        n - len(unsubscribed),
        len(unsubscribed),
        "completed",
    )


def test_sequences_and_the_report_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    ids = seed(db, 3)
    shipped = json.loads(crm(db, "sequences", "add", "--default", "--format", "json").stdout)
    assert [(x["name"], x["trigger"]) for x in shipped[:3]] == [
        ("onboarding", "funnel:lead"),
        ("activation-nudges", "funnel:trial"),
        ("retention-inactive", "churn:inactive"),
    ]
    triggers = [x["trigger"] for x in shipped]
    assert "churn:high_value" in triggers
    assert "upsell:teams" in triggers
    assert triggers[-1] == "usage_limit"
    assert shipped[0]["steps"].startswith("D0 onboarding-welcome, D1 onboarding-first-step if")
    assert shipped[1]["steps"].endswith("if not_activated by call_list")
    crm(db, "sequences", "enroll", "onboarding", "--contact", ids[0], "--contact", ids[1])
    with smtp_sink() as (server, url):
        crm(db, "send", "work", "--smtp", url)
        assert sorted(server.per_recipient()) == ["p0@example.com", "p1@example.com"]
    shown = json.loads(crm(db, "sequences", "show", "onboarding", "--format", "json").stdout)
    assert shown["members"] == {"active": 2}
    assert [(s["day"], s["sent"]) for s in shown["step_stats"]] == [
        (0, 2),
        (1, 0),
        (3, 0),
        (7, 0),
        (14, 0),
        (21, 0),
    ]
    report = json.loads(crm(db, "campaigns", "report", "--format", "json").stdout)
    assert [(r["name"], r["kind"], r["entry"], r["sent"]) for r in report][:2] == [
        ("onboarding", "sequence", "funnel:lead", 2),
        ("activation-nudges", "sequence", "funnel:trial", 0),
    ]
    assert len(report) == len(shipped)
    chart = tmp_path / "campaigns.png"
    under = json.loads(
        crm(db, "report", "campaigns", "--format", "json", "--chart", str(chart)).stdout
    )
    assert [(r["name"], r["sent"], r["failed"], r["failure_rate"]) for r in under][:2] == [
        ("onboarding", 2, 0, 0.0),
        ("activation-nudges", 0, 0, 0.0),
    ]
    assert len(under) == len(shipped)
    assert chart.stat().st_size > 2_000
    later = json.loads(
        crm(db, "report", "campaigns", "--from", "2999-01-01", "--format", "json").stdout
    )
    assert sorted(r["name"] for r in later) == sorted(x["name"] for x in shipped)
    assert {r["sent"] for r in later} == {0}
    bad = crm(db, "sequences", "add", "x", "--step", "one:t", ok=False)
    assert bad.returncode == 2
    assert "DAY:TEMPLATE" in bad.stderr


def test_send_bounces_reads_a_mailbox_and_refuses_what_is_none(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    seed(db, 1)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "1.eml").write_bytes(postfix_hard("<nobody@elsewhere.example>", "x@y.z"))
    (tmp_path / "in" / "2.eml").write_bytes(auto_reply("p0@example.com"))
    done = crm(db, "send", "bounces", str(tmp_path / "in"), "--format", "json")
    assert json.loads(done.stdout) | {"paused": ""} == {
        "messages": 2, "reports": 1, "hard": 0, "soft": 0, "ignored": 1, "suppressed": 0,
        "paused": "",
    }  # fmt: skip
    bad = crm(db, "send", "bounces", str(tmp_path / "missing.mbox"), ok=False)
    assert bad.returncode == 2
    assert "missing.mbox" in bad.stderr
    assert "Traceback" not in bad.stderr

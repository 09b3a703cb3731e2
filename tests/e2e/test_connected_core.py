"""The connected core, through the CLI: events for three customers move the board, health,
the b2c funnel and the actions (each through a handler on the message bus)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _event(eid: str, kind: str, day: int, user: str, data: dict[str, Any], **who: str) -> str:
    return json.dumps(
        {
            "id": eid,
            "type": kind,
            "occurred_at": f"2026-11-{day:02d}T10:00:00Z",
            "customer": {"user_id": user, **who},
            "data": data,
        }
    )


def _rub(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "RUB"}


EVENTS = [
    # Anna: two purchases on two days, a promoter's NPS, a glowing public review, logins
    _event("a-p1", "purchase", 2, "anna", _rub("1200.00"), email="anna@example.com"),
    _event("a-l1", "app_login", 20, "anna", {}),
    _event("a-p2", "purchase", 21, "anna", _rub("800.00")),
    _event("a-f1", "form_answer", 22, "anna", {"form_id": "nps", "answers": {"nps": 10}}),
    _event("a-r1", "review", 23, "anna", {"text": "Great product, thank you! Excellent service"}),
    _event("a-l2", "app_login", 24, "anna", {}),
    # Boris: one purchase, a login, then an angry review
    _event("b-p1", "purchase", 10, "boris", _rub("500.00"), email="boris@example.com"),
    _event("b-l1", "app_login", 25, "boris", {}),
    _event("b-r1", "review", 26, "boris", {"text": "Terrible, awful support, broken and slow"}),
    # Vera: logins on two days and a detractor's NPS, no purchase
    _event("v-l1", "app_login", 27, "vera", {}, email="vera@example.com"),
    _event("v-l2", "app_login", 28, "vera", {}),
    _event("v-f1", "form_answer", 28, "vera", {"form_id": "nps", "answers": {"nps": 3}}),
]


def _crm(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "crmcore", "--db", db, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _json(db: str, *args: str, own_option: bool = False) -> Any:
    """A command's JSON output (``own_option``: the command takes ``--format`` itself)."""
    done = (
        _crm(db, *args, "--format", "json") if own_option else _crm(db, "--format", "json", *args)
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_events_reach_board_health_funnel_and_actions(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    assert _crm(db, "events", "ingest", str(source)).returncode == 0
    worked = _crm(db, "events", "work")
    assert worked.returncode == 0, worked.stderr
    assert "done 12" in worked.stdout

    people = {c["user_id"]: c for c in _json(db, "contacts", "list")}
    shown = {u: _json(db, "contacts", "show", c["id"]) for u, c in people.items()}
    # lifecycle and the b2c funnel moved past visitor (converted → retained → advocate)
    assert {u: (c["lifecycle"], c["funnel_stage"]) for u, c in shown.items()} == {
        "anna": ("customer", "advocate"),
        "boris": ("customer", "converted"),
        "vera": ("lead", "activated"),
    }

    # the loyalty board: one card each, at the level the facts reach
    board = _json(db, "board", "show", own_option=True)
    cards = {row["key"]: row["cards"] for row in board["columns"]}
    assert cards["acquainted"] == 1  # Vera: a form answer, no purchase
    assert cards["customer"] == 1  # Boris: one purchase
    assert cards["recommender"] == 1  # Anna: a purchase and a public review

    # health: read from the facts; NPS and sentiment move it
    health = {row["user_id"]: row for row in _json(db, "health", "report", own_option=True)}
    assert set(health) == {"anna", "boris", "vera"}
    assert "negative_feedback" in health["boris"]["reasons"]
    assert "low_nps" in health["vera"]["reasons"]
    assert health["anna"]["score"] > health["vera"]["score"] > health["boris"]["score"]

    # actions: recorded once — a welcome each, a call for the angry customer
    subjects = sorted(
        (a["contact_id"], a["subject"]) for a in _json(db, "activities", "list", "--limit", "1000")
    )
    ids = {c["id"]: u for u, c in people.items()}
    by_person = sorted((ids[c], s) for c, s in subjects if c in ids)
    assert by_person.count(("anna", "Welcome path started")) == 1
    assert by_person.count(("boris", "Welcome path started")) == 1
    assert by_person.count(("vera", "Welcome path started")) == 1
    assert sum(1 for who, s in by_person if who == "boris" and s.startswith("Call")) == 1

    # a replay of every event changes nothing
    assert _crm(db, "events", "ingest", str(source)).returncode == 0
    assert _crm(db, "events", "work").returncode == 0
    again = sorted(
        (a["contact_id"], a["subject"]) for a in _json(db, "activities", "list", "--limit", "1000")
    )
    assert again == subjects

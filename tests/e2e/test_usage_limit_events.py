"""Issue 17: a ``usage_limit`` event comes in through ``crm events ingest``, ``crm events
work`` applies it, and the in-app upsell prompt is planned once per customer and day,
however often the event (or another limit that day) arrives."""

from __future__ import annotations

import json
from pathlib import Path

from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.app.marketing.sequences import list_sequences
from tests.e2e.test_marketing_cli import crm


def _usage(event_id: str, user: str, value: int, limit: int, feature: str = "storage") -> str:
    return json.dumps({
        "id": event_id, "type": "usage_limit", "occurred_at": "2026-01-05T10:00:00+03:00",
        "customer": {"user_id": user}, "data": {"feature": feature, "value": value, "limit": limit},
    })  # fmt: skip


def _prompts(db: str) -> list[tuple[str, str, str]]:
    """The planned deliveries of the usage-limit sequence: (user id, channel, address)."""
    app = bootstrap(Settings(db_url=db))
    sequence = next(s for s in list_sequences(app).unwrap() if s.trigger == "usage_limit")
    with app.uow() as uow:
        users = {c.id: c.user_id for c in uow.contacts.list()}
        return sorted(
            (str(users[d.contact_id]), d.channel.value, d.address)
            for d in uow.deliveries.for_contacts(list(users))
            if d.campaign_id == sequence.id
        )


def test_a_usage_limit_event_prompts_in_the_app_once_a_day(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    crm(db, "sequences", "add", "--default")
    events = tmp_path / "usage.jsonl"
    events.write_text(
        "\n".join([
            _usage("use-1", "u-cy", 10, 10),  # reached: prompts
            _usage("use-2", "u-cy", 12, 10, "seats"),  # over another limit the same day
            _usage("use-3", "u-bob", 3, 10),  # below the limit: nothing
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    for _ in range(2):  # the same file again: nothing new
        ingested = json.loads(crm(db, "events", "ingest", str(events), "--format", "json").stdout)
        assert ingested["rejected"] == []
        worked = json.loads(crm(db, "events", "work", "--format", "json").stdout)
        assert worked["failed"] == 0
        assert _prompts(db) == [("u-cy", "in_app", "u-cy")]
    inbox = json.loads(crm(db, "events", "status", "--format", "json").stdout)["inbox"]
    assert (inbox["done"], inbox["pending"], inbox["review"]) == (3, 0, 0)

"""Several workers over one store end in exactly the state one worker leaves.

N workers (threads, each an application with its own engine, as separate processes
would be) work the same mixed events on SQLite and on PostgreSQL; the full resulting
state (contacts, facts, transactions, activities, review items, loyalty cards and the
other reactions, inbox statuses, outbox counts) is compared with a single worker's, with
ids and other run-dependent values left out.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from crmcore import App, Settings, bootstrap
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.events.config import EventSettings
from crmcore.app.events.worker import WorkReport, ingest_events, process_inbox
from crmcore.domain.inbox import InboxRetryPolicy
from crmcore.domain.review import ReviewStatus
from tests.conftest import T0
from tests.databases import copy_sqlite, truncate_all
from tests.reactions import SNAPSHOTS, reaction_state

TEXTS = ("great, thanks", "terrible and slow", "good but slow", "ok")


def mixed_events(n: int = 240, customers: int = 30, seed: int = 21) -> list[dict[str, Any]]:
    """Purchases, e-mail opens and clicks, logins, reviews (some for manual review),
    messages and NPS answers; each customer always named by the same keys."""
    rng = random.Random(seed)
    keys: list[dict[str, str]] = []
    for c in range(customers):
        naming = c % 3
        if naming == 0:
            keys.append({"email": f"c{c}@example.com"})
        elif naming == 1:
            keys.append({"user_id": f"u{c}", "email": f"c{c}@example.com"})
        else:
            keys.append({"phone": f"+7900{c:07d}"})
    out = []
    for i in range(n):
        customer = keys[rng.randrange(customers)]
        kind = rng.choice(
            ["purchase", "email_opened", "email_clicked", "app_login", "review", "form_answer"]
        )
        payloads: dict[str, dict[str, Any]] = {
            "purchase": {"amount": f"{rng.randint(1, 900)}.00", "currency": "RUB"},
            "email_opened": {"campaign_id": "c1"},
            "email_clicked": {"campaign_id": "c1", "url": "https://example.com"},
            "app_login": {"device": "ios"},
            "review": {"text": rng.choice(TEXTS)},
            "form_answer": {"form_id": "nps", "answers": {"nps": rng.randint(0, 10)}},
        }
        out.append(
            {
                "id": f"ev{i:04}",
                "type": kind,
                "occurred_at": (T0 + timedelta(hours=i)).isoformat(),
                "customer": customer,
                "data": payloads[kind],
            }
        )
    return out


def _app(url: str, seed: int, ids: SequentialIds | None = None) -> App:
    return bootstrap(
        Settings(db_url=url),
        clock=FixedClock(T0 + timedelta(days=30)),
        ids=ids or SequentialIds(seed=seed),
        publisher=MemoryPublisher(),
        pipeline_settings=EventSettings(
            retry=InboxRetryPolicy(max_attempts=50, base=timedelta(seconds=1))
        ),
        jitter=random.Random(seed),
    )


def run_workers(url: str, workers: int) -> tuple[dict[str, Any], WorkReport]:
    """Accept the events, let ``workers`` threads work them off, return the state."""
    ingest_events(_app(url, seed=99), mixed_events())
    # One id source for all workers: with the clock fixed, every health record has the
    # same time and the latest is the one with the highest id, as it is for one worker.
    ids = SequentialIds(seed=1)
    apps = [_app(url, seed=i + 1, ids=ids) for i in range(workers)]
    reports: list[WorkReport] = []
    errors: list[BaseException] = []

    def work(app: App, name: str) -> None:
        try:
            reports.append(process_inbox(app, batch=20, worker=name).unwrap())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(app, f"w{i}")) for i, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    total = WorkReport()
    for report in reports:
        total += report
    return full_state(apps[0]), total


def full_state(app: App) -> dict[str, Any]:
    """Everything the pipeline stores, keyed by what identifies it (not by ids)."""
    assert app.events is not None
    with app.events.uow() as uow:
        contacts = uow.contacts.list(include_archived=True)
        key = {
            c.id: (c.user_id, c.email.value if c.email else None, c.phone.e164 if c.phone else None)
            for c in contacts
        }
        facts = uow.facts.facts_of(list(key))
        return {
            "contacts": sorted(
                repr(
                    (
                        *key[c.id],
                        c.lifecycle.value,
                        c.attributes,
                        c.name.full,
                        c.funnel.stage.value,
                        c.created_at,
                    )
                )
                for c in contacts
            ),
            "facts": sorted(
                repr((key[f.contact_id], f.kind, f.event_id, f.name, f.value, f.occurred_at))
                for fs in facts.values()
                for f in fs
            ),
            "transactions": sorted(
                repr((key[cid], t.external_id, t.amount, t.occurred_at))
                for cid in key
                for t in uow.transactions.list_for(cid)
            ),
            "activities": sorted(
                repr(
                    (
                        key.get(a.contact_id) if a.contact_id else None,
                        a.type.value,
                        a.subject,
                        a.description,
                        a.due_at,
                        a.completed_at,
                        a.created_at,
                    )
                )
                for a in uow.activities.list()
            ),
            "reviews": sorted(
                (r.event_id, r.reason.value, r.status.value)
                for r in uow.review_queue.list(status=None, limit=10**6)
            ),
            "reactions": reaction_state(uow, key),
            "inbox": sorted(
                (e.event_id, e.status.value, e.attempts) for e in uow.inbox.list(limit=10**6)
            ),
            "outbox": sorted(
                Counter(
                    e.type for e in uow.outbox.pending(limit=10**6) if e.type not in SNAPSHOTS
                ).items()
            ),
            "open reviews": len(uow.review_queue.list(status=ReviewStatus.OPEN, limit=10**6)),
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_any_number_of_workers_ends_in_the_single_workers_state(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> None:
    def fresh(n: int) -> str:
        if backend == "sqlite":
            return copy_sqlite(sqlite_template, tmp_path / f"crm{n}.db")
        engine: Engine = request.getfixturevalue("pg_engine")
        truncate_all(engine)
        return engine.url.render_as_string(hide_password=False)

    reference, one = run_workers(fresh(1), 1)
    assert one.done + one.review == len(mixed_events())
    assert reference["open reviews"] > 0
    for workers in (2, 4):
        state, report = run_workers(fresh(workers), workers)
        assert report.done + report.review == one.done + one.review
        for part in reference:
            assert state[part] == reference[part], (workers, part)
